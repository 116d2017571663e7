package store

import (
	"time"

	bolt "go.etcd.io/bbolt"
)

// Action names an operation in the log.
type Action string

// Every logged action with its Chinese label. Later capabilities add theirs.
const (
	ActLoginSuccess   Action = "login.success"
	ActLoginFailure   Action = "login.failure"
	ActLoginLocked    Action = "login.locked"
	ActLogout         Action = "logout"
	ActPasswordChange Action = "password.change"
	ActTOTPEnrol      Action = "totp.enrol"
	ActTOTPRebind     Action = "totp.rebind"
	ActRecoveryUse    Action = "recovery.use"
	ActRecoveryRenew  Action = "recovery.renew"
	ActProfileUpdate  Action = "profile.update"
	ActOrgUpdate      Action = "org.update"
	ActAccessDenied   Action = "access.denied"
	ActSettingsUpdate Action = "settings.update"

	ActBatchCreate     Action = "batch.create"
	ActBatchRename     Action = "batch.rename"
	ActBatchDelete     Action = "batch.delete"
	ActBatchImport     Action = "batch.import"
	ActCandidateAdd    Action = "batch.candidate.add"
	ActCandidateEdit   Action = "batch.candidate.edit"
	ActCandidateRemove Action = "batch.candidate.remove"
	ActCandidateMark   Action = "batch.candidate.mark"
	ActBatchFilesAdd   Action = "batch.files.add"
	ActBatchFileRemove Action = "batch.files.remove"
	ActBatchSubmit     Action = "batch.submit"
	ActBatchApprove    Action = "batch.approve"
	ActBatchReject     Action = "batch.reject"
	ActBatchReopen     Action = "batch.reopen"

	ActOrgCreate      Action = "org.create"
	ActOrgEdit        Action = "org.edit"
	ActOrgOffline     Action = "org.offline"
	ActOrgOnline      Action = "org.online"
	ActOrgDelete      Action = "org.delete"
	ActScopeUpdate    Action = "scope.update"
	ActUserCreate     Action = "user.create"
	ActUserUpdate     Action = "user.update"
	ActUserReset      Action = "user.reset_password"
	ActUserUnbind     Action = "user.unbind_totp"
	ActUserDisable    Action = "user.disable"
	ActUserEnable     Action = "user.enable"
	ActOccupationAdd  Action = "occupation.create"
	ActOccupationEdit Action = "occupation.update"
	ActOccupationDel  Action = "occupation.delete"
	ActSegmentRaise   Action = "segment.raise"
	ActBackup         Action = "backup"
	ActBackupSchedule Action = "backup.scheduled"
	ActUploadSweep    Action = "uploads.sweep"
	ActLogPrune       Action = "log.prune"

	ActCertCancel        Action = "cert.cancel"
	ActCertActivate      Action = "cert.activate"
	ActCertPrint         Action = "cert.print"
	ActCertMarkPrinted   Action = "cert.mark_printed"
	ActCertExport        Action = "cert.export"
	ActPrintFormatCreate Action = "print_format.create"
	ActPrintFormatEdit   Action = "print_format.update"
	ActPrintFormatDelete Action = "print_format.delete"
	ActPrintFormatPick   Action = "print_format.default"

	ActBizApply    Action = "business.apply"
	ActBizResubmit Action = "business.resubmit"
	ActBizWithdraw Action = "business.withdraw"
	ActBizApprove  Action = "business.approve"
	ActBizReject   Action = "business.reject"
	ActBizExport   Action = "business.export"

	ActCertIssue     Action = "cert.issue"
	ActChainSeal     Action = "chain.seal"
	ActSigningCreate Action = "signing.create"
	ActSigningRotate Action = "signing.rotate"
)

// ActionInfo is an action and its label, for filters.
type ActionInfo struct {
	Action Action
	Label  string
}

// Actions lists every action in display order.
var Actions = []ActionInfo{
	{ActLoginSuccess, "登录成功"},
	{ActLoginFailure, "登录失败"},
	{ActLoginLocked, "账户锁定"},
	{ActLogout, "退出登录"},
	{ActPasswordChange, "修改密码"},
	{ActTOTPEnrol, "绑定身份验证器"},
	{ActTOTPRebind, "重新绑定身份验证器"},
	{ActRecoveryUse, "使用恢复码"},
	{ActRecoveryRenew, "生成新的恢复码"},
	{ActProfileUpdate, "修改个人资料"},
	{ActOrgUpdate, "修改机构资料"},
	{ActAccessDenied, "越权访问"},
	{ActSettingsUpdate, "修改系统设置"},
	{ActBatchCreate, "创建批次"},
	{ActBatchRename, "修改批次名称"},
	{ActBatchDelete, "删除批次"},
	{ActBatchImport, "重新导入名单"},
	{ActCandidateAdd, "添加合格人员"},
	{ActCandidateEdit, "修改合格人员"},
	{ActCandidateRemove, "删除合格人员"},
	{ActCandidateMark, "标记合格人员"},
	{ActBatchFilesAdd, "上传批次资料"},
	{ActBatchFileRemove, "删除批次资料"},
	{ActBatchSubmit, "提交批次审核"},
	{ActBatchApprove, "批次审核通过"},
	{ActBatchReject, "批次审核不通过"},
	{ActBatchReopen, "批次移回待提交"},
	{ActOrgCreate, "新建机构"},
	{ActOrgEdit, "修改下级机构"},
	{ActOrgOffline, "机构下线"},
	{ActOrgOnline, "机构启用"},
	{ActOrgDelete, "删除机构"},
	{ActScopeUpdate, "修改职业（工种）范围"},
	{ActUserCreate, "新建用户"},
	{ActUserUpdate, "修改用户与权限"},
	{ActUserReset, "重置密码"},
	{ActUserUnbind, "解绑身份验证器"},
	{ActUserDisable, "停用用户"},
	{ActUserEnable, "启用用户"},
	{ActOccupationAdd, "新增职业（工种）"},
	{ActOccupationEdit, "修改职业（工种）"},
	{ActOccupationDel, "删除职业（工种）"},
	{ActSegmentRaise, "调整证书号段"},
	{ActBackup, "下载数据备份"},
	{ActBackupSchedule, "定时备份"},
	{ActUploadSweep, "清理未引用的上传文件"},
	{ActLogPrune, "归档过期日志"},
	{ActCertCancel, "注销证书"},
	{ActCertActivate, "激活证书"},
	{ActCertPrint, "打印证书"},
	{ActCertMarkPrinted, "设置打印状态"},
	{ActCertExport, "导出证书"},
	{ActPrintFormatCreate, "新建打印格式"},
	{ActPrintFormatEdit, "修改打印格式"},
	{ActPrintFormatDelete, "删除打印格式"},
	{ActPrintFormatPick, "设置默认打印格式"},
	{ActBizApply, "申请证书业务"},
	{ActBizResubmit, "重新提交证书业务"},
	{ActBizWithdraw, "撤回证书业务"},
	{ActBizApprove, "证书业务审核通过"},
	{ActBizReject, "证书业务审核不通过"},
	{ActBizExport, "导出业务总览"},
	{ActCertIssue, "发证"},
	{ActChainSeal, "记录证书内容哈希"},
	{ActSigningCreate, "创建证书签名密钥"},
	{ActSigningRotate, "轮换证书签名密钥"},
}

// Label is the Chinese name of the action.
func (a Action) Label() string {
	for _, ai := range Actions {
		if ai.Action == a {
			return ai.Label
		}
	}
	return string(a)
}

// LogEntry is one line of the operation log. Entries are only ever appended,
// each linked to its predecessor by hash (chain.go).
type LogEntry struct {
	ID       uint64    `json:"id"`
	Time     time.Time `json:"time"`
	UserID   uint64    `json:"user_id,omitempty"`
	Username string    `json:"username"`
	OrgID    uint64    `json:"org_id"`
	IP       string    `json:"ip,omitempty"`
	Action   Action    `json:"action"`
	Target   string    `json:"target,omitempty"`
	OK       bool      `json:"ok"`
	Detail   string    `json:"detail,omitempty"`
	// Prev is the SHA-256 (hex) of the previous entry's canonical form.
	Prev string `json:"prev"`
	// Seal is the SHA-256 (hex) of the certificate hashes this entry
	// records (bLogSeal), when it changed certificates.
	Seal string `json:"seal,omitempty"`
	// Archive is, on a log.prune entry, the digest (hex) of the archive of
	// certificate hashes kept from the entries it removed.
	Archive string `json:"archive,omitempty"`
}

// Log appends an entry in its own transaction (for events that change
// nothing else, such as a failed login).
func (s *Store) Log(a Actor, action Action, target, detail string, ok bool) error {
	return s.db.Update(func(tx *bolt.Tx) error { return s.logTxResult(tx, a, action, target, detail, ok) })
}

func (s *Store) logTx(tx *bolt.Tx, a Actor, action Action, target, detail string) error {
	return s.logTxResult(tx, a, action, target, detail, true)
}

// logTxResult appends an entry inside the transaction of the change it
// records, so a change and its log line commit together; the entry takes
// over the content hashes of the certificates the transaction wrote.
func (s *Store) logTxResult(tx *bolt.Tx, a Actor, action Action, target, detail string, ok bool) error {
	orgID := a.OrgID
	if orgID == 0 { // an unknown user: the province's log shows it
		orgID = provinceIDTx(tx)
	}
	return appendLogTx(tx, &LogEntry{Time: s.Now(), UserID: a.UserID, Username: a.Username, OrgID: orgID,
		IP: a.IP, Action: action, Target: target, OK: ok, Detail: detail})
}

func putIndex(b *bolt.Bucket, k []byte) error {
	b.FillPercent = 0.9
	return b.Put(k, nil)
}

// LogFilter selects log entries of one organisation.
type LogFilter struct {
	OrgID    uint64
	UserID   uint64 // 0: all users of the organisation
	Action   Action // "": all
	From, To time.Time
	Offset   int
	Limit    int
}

// Logs returns one page of an organisation's log, newest first, from an index.
func (s *Store) Logs(f LogFilter) (entries []LogEntry, hasMore bool, err error) {
	if f.Limit <= 0 || f.Limit > 200 {
		f.Limit = 20
	}
	from := f.From
	to := f.To
	if to.IsZero() {
		to = time.UnixMilli(1<<62 - 1)
	}
	err = s.db.View(func(tx *bolt.Tx) error {
		var b *bolt.Bucket
		var prefix []byte
		switch {
		case f.UserID != 0:
			b, prefix = tx.Bucket(bLogUser), itob(f.UserID)
		case f.Action != "":
			b, prefix = tx.Bucket(bLogOrgAction), key(itob(f.OrgID), []byte(f.Action), []byte{0})
		default:
			b, prefix = tx.Bucket(bLogOrg), itob(f.OrgID)
		}
		lo := key(prefix, tsKey(from), make([]byte, 8))
		hi := key(prefix, tsKey(to), []byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff})
		// Filters beyond the chosen index (user and action together) are applied
		// to the rows of that user only, which an index already narrowed.
		skip := f.Offset
		c := b.Cursor()
		k, _ := c.Seek(hi)
		if k == nil {
			k, _ = c.Last()
		} else if string(k) > string(hi) {
			k, _ = c.Prev()
		}
		for ; k != nil && string(k) >= string(lo); k, _ = c.Prev() {
			if len(k) < 8 || string(k[:len(prefix)]) != string(prefix) {
				break
			}
			var e LogEntry
			if err := getJSON(tx.Bucket(bLog), k[len(k)-8:], &e); err != nil {
				return err
			}
			if e.OrgID != f.OrgID || (f.Action != "" && e.Action != f.Action) {
				continue
			}
			if skip > 0 {
				skip--
				continue
			}
			if len(entries) == f.Limit {
				hasMore = true
				return nil
			}
			entries = append(entries, e)
		}
		return nil
	})
	return entries, hasMore, err
}
