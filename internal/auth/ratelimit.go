package auth

import (
	"sync"
	"time"
)

// Limiter limits failed logins per key (an address, a user name): after
// Max failures within Window, the key is refused until the window has
// passed since its oldest counted failure. It remembers at most MaxKeys keys,
// forgetting the stalest first, so an attacker cannot exhaust memory.
type Limiter struct {
	Max     int
	Window  time.Duration
	MaxKeys int

	mu   sync.Mutex
	keys map[string][]time.Time
}

// NewLimiter returns a limiter allowing max failures per window.
func NewLimiter(max int, window time.Duration) *Limiter {
	return &Limiter{Max: max, Window: window, MaxKeys: 100_000, keys: map[string][]time.Time{}}
}

func (l *Limiter) recent(key string, now time.Time) []time.Time {
	fails := l.keys[key]
	i := 0
	for i < len(fails) && now.Sub(fails[i]) >= l.Window {
		i++
	}
	fails = fails[i:]
	if len(fails) == 0 {
		delete(l.keys, key)
		return nil
	}
	l.keys[key] = fails
	return fails
}

// Allow reports whether key may try now; when it may not, it also returns
// how long to wait.
func (l *Limiter) Allow(key string, now time.Time) (bool, time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	fails := l.recent(key, now)
	if len(fails) < l.Max {
		return true, 0
	}
	return false, fails[0].Add(l.Window).Sub(now)
}

// Fail counts a failed attempt for key.
func (l *Limiter) Fail(key string, now time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if _, ok := l.keys[key]; !ok && len(l.keys) >= l.MaxKeys {
		l.evict(now)
	}
	l.keys[key] = append(l.recent(key, now), now)
}

// Reset forgets key's failures, after a successful login.
func (l *Limiter) Reset(key string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.keys, key)
}

// evict drops expired keys, then, if still full, the key with the oldest last failure.
func (l *Limiter) evict(now time.Time) {
	var oldestKey string
	var oldest time.Time
	for k := range l.keys {
		fails := l.recent(k, now)
		if fails == nil {
			continue
		}
		if last := fails[len(fails)-1]; oldestKey == "" || last.Before(oldest) {
			oldestKey, oldest = k, last
		}
	}
	if len(l.keys) >= l.MaxKeys && oldestKey != "" {
		delete(l.keys, oldestKey)
	}
}
