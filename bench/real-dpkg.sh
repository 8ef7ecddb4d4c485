#!/usr/bin/env bash
# real-dpkg.sh: package trees in the lower: dpkg-deb -x of packages over an extracted lower tree
# (files replaced, directories merged), dpkg-deb -b of a lower tree, cp -al hard-link farms of lower
# trees, install -m, ln -sf over lower files, patch-like in-place edits with perl -i and sort -o.
. "$(dirname "$0")/real-lib.sh"
A=/var/cache/apt/archives
DEBS="$A/alsa-utils_1.2.8-1_amd64.deb $A/apache2-utils_2.4.68-1~deb12u1_amd64.deb $A/libssl3_3.0.22-1~deb12u1_amd64.deb"
make_lower() {
    mkdir -p "$L/root" "$L/pkg"
    dpkg-deb -R "$A/alsa-utils_1.2.8-1_amd64.deb" "$L/pkg/alsa"
    dpkg-deb -x "$A/amqp-tools_0.11.0-1+deb12u3_amd64.deb" "$L/root"
    dpkg-deb -x "$A/alsa-utils_1.2.8-1_amd64.deb" "$L/root"
}
workload() {
    export SOURCE_DATE_EPOCH=0
    echo "## dpkg-deb -x over the lower root"; for d in $DEBS; do dpkg-deb -x "$d" root; echo "rc=$?"; done
    find root -type f | wc -l; find root -newer "$L/pkg" -type f | wc -l
    echo "## dpkg-deb -b of a lower tree"; sed -i 's/^Version: .*/Version: 9.9-local/' pkg/alsa/DEBIAN/control
    dpkg-deb -Zxz --root-owner-group -b pkg/alsa alsa-local.deb >/dev/null; echo "rc=$?"; dpkg-deb -I alsa-local.deb | grep -E '^ (Package|Version)'
    dpkg-deb -c alsa-local.deb | awk '{print $1, $2, $3, $6}' | sha256sum | cut -c1-16
    echo "## cp -al hard-link farm of a lower tree"; cp -al root farm; echo "rc=$?"
    stat -c '%h %n' farm/usr/bin/amixer root/usr/bin/amixer
    echo changed > farm/usr/bin/amixer; head -c 7 root/usr/bin/amixer | od -c | head -1
    echo "## install, ln -sf, perl -i, sort -o"; install -m 0750 -o 1 -g 2 /bin/true root/usr/bin/alsamixer; stat -c '%a %u %g %s %n' root/usr/bin/alsamixer
    ln -sf amqp-publish root/usr/bin/amqp-consume; readlink root/usr/bin/amqp-consume
    perl -pi -e 's/ALSA/Alsa/g' $(find root -type f -size -100k | grep -v bin/ | sort | head -40) 2>&1 | head -3
    sort -o pkg/alsa/DEBIAN/md5sums pkg/alsa/DEBIAN/md5sums; sort -c pkg/alsa/DEBIAN/md5sums; echo "sorted rc=$?"
    echo "## du and df"; du -sk root farm pkg; du -sk --apparent-size root farm pkg; df -P . | tail -1 | awk '{print ($2 > 0)}'
}
real_main
