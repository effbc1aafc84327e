/* lazy_lib.c — see lazy_lib.h. */
#include "lazy_lib.h"

#include <dlfcn.h>
#include <stdio.h>

bool lazy_lib_load(struct lazy_lib *lib, const char *const names[], void **const slots[],
		   size_t n)
{
	if (lib->tried)
		return lib->loaded;
	lib->tried = true;
	void *handle = dlopen(lib->soname, RTLD_NOW | RTLD_LOCAL);
	if (handle == NULL) {
		snprintf(lib->error, sizeof(lib->error), "%s not available: %s", lib->label,
			 dlerror());
		return false;
	}
	for (size_t i = 0; i < n; i++) {
		if ((*slots[i] = dlsym(handle, names[i])) == NULL) {
			snprintf(lib->error, sizeof(lib->error), "%s: %s missing", lib->label,
				 names[i]);
			return false;
		}
	}
	lib->loaded = true;
	return true;
}
