package mail

import (
	"context"
	"errors"

	"github.com/gatehouse/gatehouse/internal/domain"
	"github.com/gatehouse/gatehouse/internal/store"
)

// MailboxSize is how many messages the development mailbox keeps.
const MailboxSize = 200

// Mailbox is the development mailbox: a Sender that stores each message in the database, where the
// dev-only mailbox page reads it. `gatehouse dev` uses it while no provider is configured; nothing
// else does.
type Mailbox struct {
	Store store.MailStore
}

// Send stores m as delivered.
func (b *Mailbox) Send(ctx context.Context, m *domain.OutboundEmail, from string) error {
	if err := m.Validate(); err != nil {
		return err
	}
	err := b.Store.AppendDevMail(ctx, &domain.DevMail{ID: m.ID, From: from, To: m.To, Subject: m.Subject, Text: m.Text, HTML: m.HTML}, MailboxSize)
	if errors.Is(err, store.ErrConflict) {
		return nil // delivered before, by a worker that died before recording it
	}
	return err
}
