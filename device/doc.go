// Package device is the appliance: the door-station and phone (ATA)
// behaviour as state machines. It is where a button press becomes a call
// and a DTMF digit becomes a relay pulse. It sees the board through its
// own small interfaces (Outputs, Input) and the user agent through a small
// call interface (Phone, PhoneEvent), and knows nothing of pins or SIP
// messages.
//
// One goroutine (Device.Run) owns the state machine. Board inputs, user
// agent events and admin requests reach it through one ordered inbox
// (Device.Input, Device.PhoneEvent, Device.OpenDoor); its timers come from
// an injected Clock, so tests drive it with a fake clock and never sleep.
// What happens is published as typed Events to subscribers
// (Device.Subscribe) and logged, one line per thing an installer cares
// about.
//
// Only the door-station mode ("door") exists today; Config.Mode and the
// machine interface inside Run are the seam for the ATA mode.
package device
