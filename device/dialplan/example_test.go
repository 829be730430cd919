package dialplan_test

import (
	"fmt"
	"strings"

	"github.com/sipbell/sipbell/device/dialplan"
)

// What the phone does after each digit of a North American number.
func Example() {
	p, err := dialplan.Config{DigitMap: "(911|[2-9]11|0|00|[2-9]xxxxxx|<:1>[2-9]xx[2-9]xxxxxx|1[2-9]xx[2-9]xxxxxx|011x.T)"}.Plan()
	if err != nil {
		panic(err)
	}
	for _, in := range []string{"2", "212", "2125551234", "0", "0T", "011", "0114930123T", "11"} {
		r := p.Match(in)
		fmt.Println(strings.TrimSpace(fmt.Sprintf("%-12s %-14v %-5v %s", in, r.Status, r.Timer, r.Number)))
	}
	// Output:
	// 2            partial        long
	// 212          partial        long
	// 2125551234   full-unique    none  12125551234
	// 0            full-ambiguous short 0
	// 0T           full-unique    none  0
	// 011          partial        short
	// 0114930123T  full-unique    none  0114930123
	// 11           no-match       none
}
