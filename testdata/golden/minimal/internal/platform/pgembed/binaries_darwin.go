package pgembed

func hostLayout() layout { return darwinLayout() }
