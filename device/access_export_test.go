package device

// GateCodes makes the device's code checks wait: each hash comparison
// first reports on entered, then waits for release. It must be called
// before the first code is entered.
func (d *Device) GateCodes(entered chan<- struct{}, release <-chan struct{}) {
	d.codeMatch = func(h codeHash, code string) bool {
		entered <- struct{}{}
		<-release
		return h.matches(code)
	}
}
