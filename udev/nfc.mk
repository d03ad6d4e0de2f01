# udev/: the NFC readers' udev rules and the modprobe blacklist for the kernel
# NFC drivers (docs/NFC.md). Both directories are prefix-relative by default,
# so `make distcheck` installs inside its prefix; a distribution passes e.g.
#   make install nfcudevrulesdir=/usr/lib/udev/rules.d nfcmodprobedir=/usr/lib/modprobe.d
nfcudevrulesdir = $(prefix)/lib/udev/rules.d
nfcudevrules_DATA = udev/92-santecard-nfc.rules
nfcmodprobedir = $(prefix)/lib/modprobe.d
nfcmodprobe_DATA = udev/blacklist-santecard-nfc.conf
EXTRA_DIST += $(nfcudevrules_DATA) $(nfcmodprobe_DATA)

# No udev daemon or kernel NFC stack here: udevadm test cannot run, so the
# rules are checked by a parser of their own (tests/integration/test_nfc_udev.sh).
TESTS += tests/integration/test_nfc_udev.sh
EXTRA_DIST += tests/integration/test_nfc_udev.sh
