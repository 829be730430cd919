package device

// SelfTested publishes the outcome of the speaker and microphone
// self-test (run outside the device, between calls) as EventAudioOK or
// EventAudioFault, with detail as the Reason, for presence, messages and
// webhooks.
func (d *Device) SelfTested(pass bool, detail string) {
	k := EventAudioFault
	if pass {
		k = EventAudioOK
	}
	d.emit(Event{Kind: k, Reason: detail})
}
