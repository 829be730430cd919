// Package device is the appliance: the door-station and phone (ATA)
// behaviour as state machines. It is where a button press becomes a call
// and a DTMF digit becomes a relay pulse. It sees the board through its
// own small interfaces and the user agent through ua's call interface, and
// knows nothing of pins or SIP messages.
package device
