//go:build race

package sigma

// raceEnabled is set under the race detector, which makes sync.Pool (and so
// the regexp package's matcher cache) drop items at random: allocation
// counts are meaningless there.
const raceEnabled = true
