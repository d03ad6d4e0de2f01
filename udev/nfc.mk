# udev: (empty for now)
