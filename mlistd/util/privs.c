/*
 * privs - dropping root (see privs.h).
 */
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <string.h>
#include <unistd.h>

#include "privs.h"
#include "xalloc.h"

int
privs_drop(const char *user, char **error_r)
{
	struct passwd *pw;

	*error_r = NULL;
	if (geteuid() != 0)
		return 0;
	if (*user == '\0') {
		*error_r = xstrdup("running as root: set \"user =\" to the "
				   "account mlistd should run as (\"user = "
				   "root\" to really stay root)");
		return -1;
	}
	if (strcmp(user, "root") == 0)
		return 0;
	if ((pw = getpwnam(user)) == NULL) {
		*error_r = xasprintf("user %s: no such user", user);
		return -1;
	}
	if (initgroups(pw->pw_name, pw->pw_gid) < 0 || setgid(pw->pw_gid) < 0 ||
	    setuid(pw->pw_uid) < 0) {
		*error_r =
		    xasprintf("cannot become %s: %s", user, strerror(errno));
		return -1;
	}
	if (setuid(0) == 0) {
		*error_r = xstrdup("privileges could be regained after drop");
		return -1;
	}
	return 0;
}
