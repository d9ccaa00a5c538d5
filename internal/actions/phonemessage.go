package actions

import "context"

// SendPhoneMessageEvent is the send-phone-message trigger's event (Auth0's shape): the message
// to send (event.message_options), the user it is for, the application and the request.
type SendPhoneMessageEvent struct {
	MessageOptions MessageOptions `json:"message_options"`
	User           User           `json:"user"`
	Client         Client         `json:"client"`
	Request        Request        `json:"request"`
	Tenant         Tenant         `json:"tenant"`
}

// MessageOptions is event.message_options: Action is "enrollment" or
// "second-factor-authentication", MessageType "sms" or "voice", Code the one-time code the text
// carries, Recipient the phone number.
type MessageOptions struct {
	Action      string `json:"action"`
	Code        string `json:"code"`
	MessageType string `json:"message_type"`
	Recipient   string `json:"recipient"`
	Text        string `json:"text"`
}

func (ev SendPhoneMessageEvent) normalized() SendPhoneMessageEvent {
	ev.User = ev.User.normalized()
	ev.Client.Metadata = orEmptyStr(ev.Client.Metadata)
	ev.Request = ev.Request.normalized()
	return ev
}

// SendPhoneMessageResult is what a send-phone-message run leaves: its console lines. Its api has
// only the cache (Auth0's); the action itself delivers the message, and a thrown error is the
// delivery's failure.
type SendPhoneMessageResult struct {
	Logs []LogLine
}

// RunSendPhoneMessage runs the send-phone-message actions in binding order. Errors are as for
// RunPostLogin.
func (r *Runtime) RunSendPhoneMessage(ctx context.Context, actions []Bound, ev SendPhoneMessageEvent) (*SendPhoneMessageResult, error) {
	logs, err := r.runNotification(ctx, TriggerSendPhoneMessage, actions, ev.normalized())
	if logs == nil {
		return nil, err
	}
	return &SendPhoneMessageResult{Logs: logs}, err
}
