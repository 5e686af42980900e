package pgembed

func hostLayout() layout { return linuxLayout() }
