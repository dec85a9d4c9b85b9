package gen

import (
	"math"
	"math/bits"
	"math/rand/v2"
)

// rng is the one source of randomness in this package: a PCG generator
// seeded from the options' seed and a stream number. Every file, attack
// instance and world object has its own stream, so its output does not
// depend on the order in which the others are generated.
type rng struct{ src rand.PCG }

// Stream numbers keep the independent sources apart.
const (
	streamWorld  = 1
	streamPlan   = 2
	streamAttack = 1 << 32
	streamFile   = 2 << 32
)

func newRNG(seed int64, stream uint64) *rng {
	r := &rng{}
	r.seed(seed, stream)
	return r
}

func (r *rng) seed(seed int64, stream uint64) {
	r.src.Seed(mix64(uint64(seed)^0x9e3779b97f4a7c15), mix64(stream+0x632be59bd9b4e019))
}

// mix64 is the splitmix64 finaliser: a cheap, well-spread hash of x.
func mix64(x uint64) uint64 {
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	x ^= x >> 31
	return x
}

// hashOf combines values into one well-spread hash.
func hashOf(vs ...uint64) uint64 {
	h := uint64(0x84222325cbf29ce4)
	for _, v := range vs {
		h = mix64(h ^ v)
	}
	return h
}

// hashString hashes s (FNV-1a, then mixed).
func hashString(s string) uint64 {
	h := uint64(14695981039346656037)
	for i := 0; i < len(s); i++ {
		h ^= uint64(s[i])
		h *= 1099511628211
	}
	return mix64(h)
}

func (r *rng) u64() uint64 { return r.src.Uint64() }

// intn returns a number in [0, n). n must be positive.
func (r *rng) intn(n int) int {
	hi, _ := bits.Mul64(r.u64(), uint64(n))
	return int(hi)
}

// between returns a number in [lo, hi].
func (r *rng) between(lo, hi int) int { return lo + r.intn(hi-lo+1) }

// float returns a number in [0, 1).
func (r *rng) float() float64 { return float64(r.u64()>>11) / (1 << 53) }

// chance reports true with probability p.
func (r *rng) chance(p float64) bool { return r.float() < p }

// norm returns a standard normal deviate (Box-Muller).
func (r *rng) norm() float64 {
	u := 1 - r.float()
	return math.Sqrt(-2*math.Log(u)) * math.Cos(2*math.Pi*r.float())
}

func pick[T any](r *rng, xs []T) T { return xs[r.intn(len(xs))] }

const (
	hexDigits   = "0123456789abcdef"
	alnumChars  = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
	upperAlnum  = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
	base32Chars = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
	base64Chars = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
)

// appendChars appends n characters drawn from set (at most 64 long).
func (r *rng) appendChars(b []byte, set string, n int) []byte {
	var x uint64
	left := 0
	if len(set) == 64 || len(set) == 32 || len(set) == 16 {
		mask := uint64(len(set) - 1)
		shift := bits.Len64(mask)
		per := 64 / shift
		for range n {
			if left == 0 {
				x, left = r.u64(), per
			}
			b = append(b, set[x&mask])
			x >>= shift
			left--
		}
		return b
	}
	for range n {
		if left == 0 {
			x, left = r.u64(), 10
		}
		b = append(b, set[int(x&63)%len(set)])
		x >>= 6
		left--
	}
	return b
}

func (r *rng) chars(set string, n int) string { return string(r.appendChars(nil, set, n)) }

// appendUUID appends a random (version 4) UUID.
func (r *rng) appendUUID(b []byte) []byte { return appendUUID(b, r.u64(), r.u64()) }

func (r *rng) uuid() string { return string(r.appendUUID(nil)) }

func appendUUID(b []byte, hi, lo uint64) []byte {
	hi = hi&^0xf000 | 0x4000
	lo = lo&^(3<<62) | 2<<62
	var u [36]byte
	hex := func(dst []byte, v uint64, n int) {
		for i := n - 1; i >= 0; i-- {
			dst[i] = hexDigits[v&15]
			v >>= 4
		}
	}
	hex(u[0:8], hi>>32, 8)
	u[8] = '-'
	hex(u[9:13], hi>>16, 4)
	u[13] = '-'
	hex(u[14:18], hi, 4)
	u[18] = '-'
	hex(u[19:23], lo>>48, 4)
	u[23] = '-'
	hex(u[24:36], lo, 12)
	return append(b, u[:]...)
}

// appendHashChars appends n characters from set derived from hash h, for
// identifiers that must be the same wherever they are computed.
func appendHashChars(b []byte, h uint64, set string, n int) []byte {
	x := h
	for i := range n {
		if i%10 == 0 {
			h = mix64(h + 0x9e3779b97f4a7c15)
			x = h
		}
		b = append(b, set[int(x&63)%len(set)])
		x >>= 6
	}
	return b
}

// weighted picks an index from cumulative weights cum (cum[len-1] is the total).
func (r *rng) weighted(cum []float64) int {
	x := r.float() * cum[len(cum)-1]
	lo, hi := 0, len(cum)-1
	for lo < hi {
		m := (lo + hi) / 2
		if cum[m] > x {
			hi = m
		} else {
			lo = m + 1
		}
	}
	return lo
}

func cumulative(ws []float64) []float64 {
	cum := make([]float64, len(ws))
	s := 0.0
	for i, w := range ws {
		s += w
		cum[i] = s
	}
	return cum
}
