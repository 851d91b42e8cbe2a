/* hint.h - cache hints (prefetches) shared by the replay thread's hot path
 * (src/replay: flow.h, reader.c, replay.c, tlsglue.c), the JSON writer
 * (output.c) and the TLS decoders' set-up (src/tls/tls.c), with their
 * measuring-aid form. Read first: GCC's __builtin_prefetch. */
#ifndef TCPSIM_WIRE_HINT_H
#define TCPSIM_WIRE_HINT_H

#if defined(TCPSIM_PREFETCH_AS_LOAD)
/* Measuring aid (-DTCPSIM_PREFETCH_AS_LOAD): each hint a real load, so that
 * cachegrind, which ignores prefetches, counts its miss at the hint and not
 * at the use; the misses left elsewhere are lines no hint covers. Each
 * load is stored (valgrind's optimiser drops loads whose value is unused). */
extern volatile unsigned char tcpsim__prefetch_sink; /* (defined in mem.c) */
#define TCPSIM__PREFETCH(p)   (tcpsim__prefetch_sink = *(volatile const unsigned char *)(p))
#define TCPSIM__PREFETCH_R(p) TCPSIM__PREFETCH(p)
#elif defined(__GNUC__) || defined(__clang__)
#define TCPSIM__PREFETCH(p)   __builtin_prefetch((p), 1, 3)
#define TCPSIM__PREFETCH_R(p) __builtin_prefetch((p), 0, 3) /* for lines only read (the ring's, the writer's) */
#else
#define TCPSIM__PREFETCH(p)   ((void)(p))
#define TCPSIM__PREFETCH_R(p) ((void)(p))
#endif
/* Inlined whatever their size: GCC counts a prefetch as no side effect, so a
 * helper left out of line is "const" and a call whose result is unused
 * (or one with none) is dropped before it could be inlined, hints and all. */
#if defined(__GNUC__) || defined(__clang__)
#define TCPSIM__HINT static inline __attribute__((always_inline))
#else
#define TCPSIM__HINT static inline
#endif

#endif
