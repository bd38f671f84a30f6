package match

// u32map is an open-addressing hash map from uint32 to int32, built once and
// then only read: several times faster than a Go map for the IP set's
// one-lookup-per-log-line work. Keys are stored plus one, so 0 marks an
// empty slot and 0.0.0.0 is still a valid key.
type u32map struct {
	keys  []uint64 // key+1, 0 = empty
	vals  []int32
	mask  uint64
	count int
	// bits is a one-hash filter over the keys, eight bits per slot and so
	// small enough to stay in cache: most lookups of absent keys (nearly
	// every log line) end here without touching the table.
	bits     []uint64
	bitsMask uint64
}

func newU32map() *u32map {
	m := &u32map{keys: make([]uint64, 16), vals: make([]int32, 16), mask: 15}
	m.rebuildBits()
	return m
}

func filterHash(k uint32) uint64 { return (uint64(k) * 0xC2B2AE3D27D4EB4F) >> 29 }

func (m *u32map) rebuildBits() {
	n := uint64(len(m.keys)) * 8 // bits
	m.bits, m.bitsMask = make([]uint64, n/64), n-1
	for _, k := range m.keys {
		if k != 0 {
			h := filterHash(uint32(k-1)) & m.bitsMask
			m.bits[h/64] |= 1 << (h % 64)
		}
	}
}

func u32hash(k uint32) uint64 { return (uint64(k) * 0x9E3779B97F4A7C15) >> 32 }

// put sets k to v; a key put twice keeps the last value.
func (m *u32map) put(k uint32, v int32) {
	if (m.count+1)*4 > len(m.keys)*3 {
		m.grow()
	}
	for i := u32hash(k) & m.mask; ; i = (i + 1) & m.mask {
		switch m.keys[i] {
		case 0:
			m.keys[i], m.vals[i] = uint64(k)+1, v
			m.count++
			h := filterHash(k) & m.bitsMask
			m.bits[h/64] |= 1 << (h % 64)
			return
		case uint64(k) + 1:
			m.vals[i] = v
			return
		}
	}
}

func (m *u32map) grow() {
	old, oldVals := m.keys, m.vals
	n := len(old) * 2
	m.keys, m.vals, m.mask, m.count = make([]uint64, n), make([]int32, n), uint64(n-1), 0
	m.rebuildBits()
	for i, k := range old {
		if k != 0 {
			m.put(uint32(k-1), oldVals[i])
		}
	}
}

// get returns the value of k.
func (m *u32map) get(k uint32) (int32, bool) {
	if h := filterHash(k) & m.bitsMask; m.bits[h/64]&(1<<(h%64)) == 0 {
		return 0, false
	}
	want := uint64(k) + 1
	for i := u32hash(k) & m.mask; ; i = (i + 1) & m.mask {
		switch m.keys[i] {
		case want:
			return m.vals[i], true
		case 0:
			return 0, false
		}
	}
}

func (m *u32map) len() int { return m.count }
