package store

// SetBizExportCapForTest lowers the 业务总览 export cap; the returned func
// restores it.
func SetBizExportCapForTest(n int) func() {
	old := bizExportCap
	bizExportCap = n
	return func() { bizExportCap = old }
}
