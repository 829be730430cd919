/* aec-speex: runs speexdsp's echo canceller (and optionally its
 * preprocessor's residual-echo suppressor) over raw 16-bit mono files, for
 * scripts/aec-bench.sh only (nothing of it is in sipbell).
 *
 * usage: aec-speex RATE TAIL_SAMPLES ec|ecpp FAR.raw MIC.raw OUT.raw
 * Frames are 20 ms. Prints the number of frames and the CPU time per frame.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <speex/speex_echo.h>
#include <speex/speex_preprocess.h>

static short *slurp(const char *path, long *n) {
	FILE *f = fopen(path, "rb");
	if (!f) { perror(path); exit(1); }
	fseek(f, 0, SEEK_END);
	long size = ftell(f);
	fseek(f, 0, SEEK_SET);
	short *buf = malloc(size);
	if (!buf || fread(buf, 1, size, f) != (size_t)size) { perror(path); exit(1); }
	fclose(f);
	*n = size / 2;
	return buf;
}

int main(int argc, char **argv) {
	if (argc != 7) {
		fprintf(stderr, "usage: %s RATE TAIL_SAMPLES ec|ecpp FAR.raw MIC.raw OUT.raw\n", argv[0]);
		return 2;
	}
	int rate = atoi(argv[1]), tail = atoi(argv[2]), frame = rate / 50;
	int pp = strcmp(argv[3], "ecpp") == 0;
	long nf, nm;
	short *far = slurp(argv[4], &nf), *mic = slurp(argv[5], &nm);
	long n = nf < nm ? nf : nm;
	short *out = calloc(n, sizeof(short));
	SpeexEchoState *st = speex_echo_state_init(frame, tail);
	speex_echo_ctl(st, SPEEX_ECHO_SET_SAMPLING_RATE, &rate);
	SpeexPreprocessState *pst = NULL;
	if (pp) {
		pst = speex_preprocess_state_init(frame, rate);
		speex_preprocess_ctl(pst, SPEEX_PREPROCESS_SET_ECHO_STATE, st);
	}
	long frames = 0;
	clock_t t0 = clock();
	for (long off = 0; off + frame <= n; off += frame, frames++) {
		speex_echo_cancellation(st, mic + off, far + off, out + off);
		if (pst)
			speex_preprocess_run(pst, out + off);
	}
	double us = (double)(clock() - t0) / CLOCKS_PER_SEC * 1e6 / (frames ? frames : 1);
	FILE *f = fopen(argv[6], "wb");
	if (!f || fwrite(out, sizeof(short), n, f) != (size_t)n) { perror(argv[6]); return 1; }
	fclose(f);
	printf("frames %ld us_per_frame %.1f\n", frames, us);
	return 0;
}
