#!/usr/bin/env bash
# real-cbuild.sh: a generated C project (200 sources, a static library, headers, subdirectories) in
# the lower, built through the mount: make -j4, run, make clean, rebuild, header touched -> rebuild.
. "$(dirname "$0")/real-lib.sh"
make_lower() {
    local p=$L/proj
    mkdir -p "$p/src/a" "$p/src/b" "$p/include"
    for i in $(seq 1 200); do
        d=a; [ $((i % 2)) = 0 ] && d=b
        printf '#include "common.h"\nint f%d(int x) { return x * %d + COMMON; }\n' $i $i > "$p/src/$d/f$i.c"
        echo "int f$i(int x);" >> "$p/include/decls.h"
    done
    echo '#define COMMON 7' > "$p/include/common.h"
    { echo '#include <stdio.h>'; echo '#include "decls.h"'; echo 'int main(void){ long s=0;'
      for i in $(seq 1 200); do echo "s+=f$i($i);"; done; echo 'printf("%ld\n", s); return 0; }'; } > "$p/main.c"
    cat > "$p/Makefile" <<'MK'
SRCS := $(wildcard src/*/*.c)
OBJS := $(SRCS:.c=.o)
CFLAGS := -O1 -Iinclude -MMD
app: main.o libf.a
	$(CC) -o $@ main.o libf.a
libf.a: $(OBJS)
	$(AR) rcs $@ $(OBJS)
%.o: %.c
	$(CC) $(CFLAGS) -c -o $@ $<
-include $(OBJS:.o=.d) main.d
clean:
	rm -f app libf.a $(OBJS) $(OBJS:.o=.d) main.o main.d
.PHONY: clean
MK
    # a prebuilt object in the lower, as a shipped tree would have
    (cd "$p" && make -s -j4 >/dev/null && rm -f app)
}
workload() {
    cd proj || return 1
    echo "## 1 make (most objects already in the lower)"; make -j4 2>&1 | sort; ./app
    echo "## 2 clean"; make -s clean; ls
    echo "## 3 rebuild"; make -j4 -s 2>&1; ./app; ls -la app | awk '{print $1, $5}'
    echo "## 4 header change"; sleep 1.1; echo '#define COMMON 9' > include/common.h; make -j4 2>&1 | wc -l; ./app
    echo "## 5 nothing to do"; make -j4 2>&1
    echo "## 6 clean again"; make -s clean; find . -name '*.o' | wc -l
}
real_main
