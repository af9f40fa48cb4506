package themes

import "testing"

func FuzzParse(f *testing.F) {
	f.Add([]byte(`[header]` + "\n" + `background = "#333"`))
	f.Add([]byte(`[users]` + "\n" + `colors = []`))
	f.Add([]byte(`name = 3`))
	f.Add([]byte(`[log]` + "\n" + `own = "#12345g"`))
	f.Fuzz(func(t *testing.T, data []byte) {
		th, err := Parse("fuzz.toml", data)
		if err != nil {
			return
		}
		if len(th.Users.Colors) == 0 {
			t.Fatal("a theme without user colours was accepted")
		}
	})
}
