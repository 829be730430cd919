// Package mqtt publishes the door station's events and state to an MQTT
// broker, takes commands from it, and announces the device to Home
// Assistant through MQTT discovery.
//
// Topics, under Config.Topic (default "sipbell"):
//
//	<topic>/availability          online | offline (retained; offline is the will)
//	<topic>/event/<name>          one JSON object per device event (rang, answered, ...)
//	<topic>/button/<n>            {"event_type":"press"} when call button n is pressed
//	<topic>/state/call            idle | ringing | connected (retained)
//	<topic>/state/registration    the primary account's registration state (retained)
//	<topic>/state/door            open | closed, from the door contact (retained)
//	<topic>/state/tamper          on | off, from the tamper switch (retained)
//	<topic>/command/<user>/open   any payload: pulse the door relay
//	<topic>/command/<user>/call   payload: comma-separated targets to call
//	<topic>/command/<user>/hangup any payload: end every call
//	<topic>/command/<user>/dnd    ON | OFF: the door station's do-not-disturb
//	<topic>/state/dnd             ON | OFF, as switched by the DND switch or command (retained)
//	<topic>/selftest              the last speaker and microphone self-test, JSON: time, pass,
//	                              verdict, detail, level_db, noise_dbfs, bands (retained)
//
// Commands: MQTT tells a subscriber nothing about who published a
// message, so the publisher's identity is the <user> topic level, which
// the broker must tie to the authenticated user with an ACL such as
// mosquitto's "pattern write sipbell/command/%u/#". Only users listed in
// Config.Commands run commands; others are refused and logged, rate-limited.
package mqtt
