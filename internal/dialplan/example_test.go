package dialplan_test

import (
	"errors"
	"fmt"

	"github.com/earshot/earshot/internal/dialplan"
)

func Example() {
	plan, err := dialplan.Compile(
		[]string{"+1555XXXXXXX", "sip:*@127.0.0.1"}, // allow
		[]string{"+1900!"},                          // deny
	)
	if err != nil {
		panic(err)
	}
	for _, target := range []string{
		"+1 (555) 010-0123",
		"sip:alice@127.0.0.1:5070",
		"+1 900 555 0100",
		"+44 20 7946 0000",
		"1-800-FLOWERS",
	} {
		dial, err := plan.Resolve(target)
		switch {
		case err == nil:
			fmt.Println("dial", dial)
		case errors.Is(err, dialplan.ErrForbidden):
			fmt.Println("refused:", err)
		case errors.Is(err, dialplan.ErrInvalid):
			fmt.Println("bad input:", err)
		}
	}
	// Output:
	// dial +15550100123
	// dial sip:alice@127.0.0.1:5070
	// refused: +19005550100 is not allowed by the dial plan (denied by "+1900!")
	// refused: +442079460000 is not allowed by the dial plan
	// bad input: "1-800-FLOWERS" is not a dialable number or SIP URI: letters are not allowed in a number (a SIP URI starts with sip:)
}
