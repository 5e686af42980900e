package tasks

// ownTypes lists the task types of this service beyond the built-in ones of
// builtin.go: each is defined, with its payload and handler, in a file of
// its own (handler_<type>.go) by the function named here. This list is the
// one place such a type is registered, with the worker and so with the list
// of types the API accepts: a new type is a file and a line here (`starter
// generate task NAME` writes both).
func ownTypes() []func(r *Registry, b Builtins) {
	return []func(r *Registry, b Builtins){
		// Task types go below this line, one line each.
		registerResizeImage,
	}
}

// RegisterOwn adds the service's own task types to r. Their handlers get
// b with the defaults documented on its fields.
func RegisterOwn(r *Registry, b Builtins) {
	b = b.withDefaults()
	for _, register := range ownTypes() {
		register(r, b)
	}
}

// ServiceTypes are the names of the task types the service's worker
// handles (NewService): the built-in ones and the service's own, sorted.
func ServiceTypes() []string {
	r := NewRegistry()
	RegisterBuiltins(r, Builtins{})
	RegisterOwn(r, Builtins{})
	return r.Types()
}
