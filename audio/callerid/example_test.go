package callerid_test

import (
	"fmt"

	"github.com/sipbell/sipbell/audio/callerid"
)

// A caller ID for the phone's earpiece between the first and second ring.
func Example() {
	m := callerid.Message{
		Time:   callerid.DateTime{Month: 12, Day: 5, Hour: 18, Minute: 30},
		Number: "0301234567",
		Name:   "Front door",
	}
	b, err := m.MarshalBinary() // MDMF bytes, checksum included
	if err != nil {
		panic(err)
	}
	pcm, err := callerid.FSK(b, callerid.FSKOptions{Standard: callerid.V23})
	if err != nil {
		panic(err)
	}
	back, _ := callerid.Unmarshal(b)
	fmt.Printf("% x\n%d samples (%d ms) at 8 kHz\n%s %q\n", b[:4], len(pcm), len(pcm)/8, back.Number, back.Name)
	digits, _ := callerid.DTMFDigits(m, callerid.DTMFC)
	fmt.Println(digits)
	// Output:
	// 80 22 01 08
	// 5733 samples (716 ms) at 8 kHz
	// 0301234567 "Front door"
	// A0301234567C
}
