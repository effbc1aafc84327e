/* cmsg_put.h — puts one control message (IP_PKTINFO, IPV6_PKTINFO ...) into a msghdr whose
 * msg_control buffer is large and aligned enough (a union with struct cmsghdr). */
#ifndef KEEPVIP_CMSG_PUT_H
#define KEEPVIP_CMSG_PUT_H

#include <string.h>
#include <sys/socket.h>

static inline void cmsg_put(struct msghdr *mh, int level, int type, const void *data,
			    size_t len)
{
	struct cmsghdr *cm = (struct cmsghdr *)mh->msg_control;
	memset(cm, 0, CMSG_SPACE(len));
	cm->cmsg_level = level;
	cm->cmsg_type = type;
	cm->cmsg_len = CMSG_LEN(len);
	memcpy(CMSG_DATA(cm), data, len);
	mh->msg_controllen = CMSG_SPACE(len);
}

#endif
