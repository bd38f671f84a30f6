package yara_test
import ("testing"; yara "github.com/Velocidex/go-yara")
func TestTiny(t *testing.T){
 r, err := yara.Compile(`rule a { strings: $x = "hello" condition: $x }`, nil)
 if err != nil { t.Fatal(err) }
 m, err := r.ScanMem([]byte("say hello"), 4, 0)
 t.Log(m, err)
}
