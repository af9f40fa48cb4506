package keymap_test

import (
	"fmt"

	"github.com/rtchat/rtchat/keymap"
)

func ExampleBindings() {
	keys, err := keymap.Bindings(map[string]string{"quick_switch": "ctrl+g", "help": "F1, alt+h"})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(keys["quick_switch"], keys["help"], keys["next_unread"])
	_, err = keymap.Bindings(map[string]string{"help": "Enter"})
	fmt.Println(err)
	// Output:
	// [Ctrl+G] [F1 Alt+H] [Alt+A]
	// keys.help: Enter is used by the input line; choose another key
}
