# udev: rules for the CCID driver's readers, installed into --with-udevrulesdir
# (configure; prefix-relative under distcheck).
ccidudevdir = $(udevrulesdir)
dist_ccidudev_DATA = udev/92-santecard-ccid.rules
