package handlers

import (
	"errors"

	"certreg/store"
)

// Store errors about what the user typed or did become messages on the form
// they came from, in one way for every page: inputErrors maps the field a
// message concerns to the message, and "" to a message for the whole form;
// any other error is returned as it is (the error page answers it). A stale
// save (store.StaleError) is answered by staleOf instead (stale.go).

const msgFixMarked = "请修正标出的内容后再提交。"

// inputErrors turns a store error about the user's input into form errors.
func inputErrors(err error) (map[string]string, error) {
	var (
		ve *store.ValidationError
		ce *store.CandidateError
		ie *store.ImportError
		se *store.StateError
		be *store.BizStateError
	)
	switch {
	case errors.As(err, &ve):
		if ve.Field == "" {
			return map[string]string{"": ve.Message}, nil
		}
		return map[string]string{ve.Field: ve.Message, "": msgFixMarked}, nil
	case errors.As(err, &ce):
		errs := ce.Fields()
		errs[""] = msgFixMarked
		return errs, nil
	case errors.As(err, &ie):
		return map[string]string{"": ie.Error()}, nil
	case errors.As(err, &se):
		return map[string]string{"": se.Error()}, nil
	case errors.As(err, &be):
		return map[string]string{"": be.Error()}, nil
	}
	return nil, err
}

// userMessage is the message of an input error for a page that has no
// field to mark (a validation error's own message, not "fix the marked
// fields"); ok is false for any other error.
func userMessage(err error) (string, bool) {
	if err == nil {
		return "", false
	}
	var ve *store.ValidationError
	var ce *store.CandidateError
	switch {
	case errors.As(err, &ve):
		return ve.Message, true
	case errors.As(err, &ce):
		return ce.Error(), true
	}
	errs, err := inputErrors(err)
	if err != nil {
		return "", false
	}
	return errs[""], true
}
