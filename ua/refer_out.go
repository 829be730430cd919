package ua

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/emiago/sipgo/sip"
)

// This file is the transferor's side (RFC 3515): Call.Transfer asks the
// peer to call someone else, and the peer's NOTIFYs (message/sipfrag)
// tell how that went. The phone mode's flash, dial, hang up is one.

// ErrTransferFailed is wrapped by Transfer when the peer refused the
// REFER or reported that the new call failed; the call stays as it was.
var ErrTransferFailed = errors.New("ua: transfer failed")

// transferWait bounds how long Transfer waits for the outcome when the
// caller's context does not: the target's ring time plus some slack.
func (u *UA) transferWait() time.Duration { return u.cfg.RingTimeout + 32*time.Second }

// Transfer asks the peer to call target instead (a blind transfer: REFER
// with Refer-To and Referred-By) and waits for the outcome the peer
// reports. On success the call ends (BYE) and nil is returned; otherwise
// an error wrapping ErrTransferFailed (or ctx's) and the call goes on.
func (c *call) Transfer(ctx context.Context, target string) error {
	if c.State() != CallAnswered {
		return fmt.Errorf("transfer %s to %s: %w", c.id, target, ErrNotAnswered)
	}
	uri, err := c.u.targetURI(target)
	if err != nil {
		return fmt.Errorf("transfer %s to %s: %w", c.id, target, err)
	}
	progress := make(chan int, 8)
	c.mu.Lock()
	if c.referOut != nil {
		c.mu.Unlock()
		return fmt.Errorf("transfer %s to %s: a transfer is under way: %w", c.id, target, ErrTransferFailed)
	}
	c.referOut = progress
	c.mu.Unlock()
	defer func() {
		c.mu.Lock()
		c.referOut = nil
		c.mu.Unlock()
	}()
	ctx, cancel := context.WithTimeout(ctx, c.u.transferWait())
	defer cancel()
	code, err := c.sendRefer(ctx, uri, progress)
	if err != nil {
		return fmt.Errorf("transfer %s to %s: %w", c.id, uri.String(), err)
	}
	c.u.log.Info("call transferred by us", "call", c.id, "to", uri.String(), "code", code)
	if err := c.Hangup(ctx); err != nil {
		return fmt.Errorf("transfer %s to %s: hang up after: %w", c.id, uri.String(), err)
	}
	return nil
}

// sendRefer sends the REFER and waits for the final status the peer reports.
func (c *call) sendRefer(ctx context.Context, uri sip.Uri, progress <-chan int) (int, error) {
	u := c.u
	req := sip.NewRequest(sip.REFER, c.remoteTarget())
	req.AppendHeader(sip.NewHeader("Refer-To", "<"+uri.String()+">"))
	self := u.selfURI()
	req.AppendHeader(sip.NewHeader("Referred-By", "<"+self.String()+">"))
	ct := u.contactFor(u.cfg.User, c.transport())
	req.AppendHeader(&ct)
	res, err := c.do(ctx, req)
	if err != nil {
		return 0, err
	}
	if !res.IsSuccess() {
		return 0, fmt.Errorf("REFER answered %d %s: %w", res.StatusCode, res.Reason, ErrTransferFailed)
	}
	for {
		select {
		case code := <-progress:
			switch {
			case code >= 300:
				return code, fmt.Errorf("the new call failed: %d %s: %w", code, StatusText(code), ErrTransferFailed)
			case code >= 200:
				return code, nil
			}
		case <-c.done:
			// The peer ended the call after accepting the REFER: it went
			// on to the target (baresip does this right after its final
			// NOTIFY, whose handling may race the BYE's). Only a failure
			// it reported first counts as one.
			for {
				select {
				case code := <-progress:
					if code >= 300 {
						return code, fmt.Errorf("the new call failed: %d %s: %w", code, StatusText(code), ErrTransferFailed)
					}
				default:
					return 202, nil
				}
			}
		case <-ctx.Done():
			return 0, ctx.Err()
		}
	}
}

// selfURI is who we are for Referred-By: the first account's AOR, else
// our listening address.
func (u *UA) selfURI() sip.Uri {
	if len(u.cfg.Accounts) > 0 {
		return newAOR(u.cfg.Accounts[0])
	}
	return sip.Uri{Scheme: "sip", User: u.cfg.User, Host: u.host, Port: u.Addr().Port}
}

// transport is the transport of the call's dialog.
func (c *call) transport() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.ds != nil {
		return strings.ToLower(c.ds.InviteRequest.Transport())
	}
	if c.dc != nil {
		return strings.ToLower(c.dc.InviteRequest.Transport())
	}
	return "udp"
}

// onReferNotify takes a NOTIFY in a call's dialog reporting a transfer we
// asked for (Event: refer); it reports whether it answered req.
func (u *UA) onReferNotify(req *sip.Request, tx sip.ServerTransaction) bool {
	ev := req.GetHeader("Event")
	if ev == nil {
		ev = req.GetHeader("o")
	}
	if ev == nil {
		return false
	}
	name, _, _ := strings.Cut(ev.Value(), ";")
	if !strings.EqualFold(strings.TrimSpace(name), "refer") {
		return false
	}
	c := u.inDialog(req)
	if c == nil {
		return false
	}
	if !u.sameParty(c, req) {
		u.refuseInDialog(req, tx)
		return true
	}
	c.mu.Lock()
	progress := c.referOut
	c.mu.Unlock()
	if progress == nil {
		u.respond(tx, req, 481) // no subscription of ours (RFC 6665 §4.1.3)
		return true
	}
	u.respond(tx, req, 200)
	if code, ok := sipfragStatus(req.Body()); ok {
		select {
		case progress <- code:
		default: // Transfer reads them; more than fit are not news
		}
	}
	return true
}

// sipfragStatus reads the status code of a message/sipfrag body's
// status line ("SIP/2.0 200 OK").
func sipfragStatus(body []byte) (int, bool) {
	line, _, _ := strings.Cut(string(body), "\n")
	f := strings.Fields(line)
	if len(f) < 2 || !strings.HasPrefix(f[0], "SIP/") {
		return 0, false
	}
	code, err := strconv.Atoi(f[1])
	if err != nil || code < 100 || code > 699 {
		return 0, false
	}
	return code, true
}
