/* k8s_parse.h — Kubernetes API answers (JSON text) into the pod set the adapter turns into
 * peers, plus the small pure helpers of in-cluster access.
 *
 * Pure: text in, structs out, no I/O, no clock, so every answer shape is tested from the
 * fixtures (../shared/fixtures/kubernetes, tests/adapters/fixtures/kubernetes). The answers
 * are those of ../shared/reference/kubernetes-api.md: a PodList page (§2), one line of a watch
 * stream (§3), a Pod (§4), a Node, a Status. Every function checks what it uses and returns 0,
 * or a negative errno with err saying what and where, e.g.
 *   "items[2].status.podIPs[0].ip: \"x\" is not an IP address"
 * Unknown fields are ignored; fields we use are type-checked. Sizes are bounded: an answer,
 * a name, a label, a selector, the pod set; a longer one is an error, never a truncation.
 *
 * Who is a peer (issue 9 point 2): a pod whose labels match the selector, that is not
 * terminating (no metadata.deletionTimestamp), whose status.phase is not Failed or Succeeded,
 * and that has an address of the VIP's family (status.podIPs, else status.podIP). Readiness
 * does not decide: a pod that is not Ready may still be the master. */
#ifndef KEEPVIP_K8S_PARSE_H
#define KEEPVIP_K8S_PARSE_H

#include "adapter.h"
#include "ipaddr.h"

#include <stdbool.h>
#include <stddef.h>

#define K8S_NAME_LEN 254          /* a DNS subdomain (pod, node names): 253 bytes */
#define K8S_NAMESPACE_LEN 64      /* a DNS label: 63 bytes */
#define K8S_RV_LEN 128            /* resourceVersion, opaque */
#define K8S_CONTINUE_LEN 4096     /* metadata.continue, opaque */
#define K8S_LABEL_KEY_LEN 320     /* [prefix (253) /] name (63) */
#define K8S_LABEL_VALUE_LEN 64    /* 63 bytes */
#define K8S_MAX_LABELS 64         /* labels kept of our own pod */
#define K8S_MAX_REQUIREMENTS 16   /* per selector */
#define K8S_MAX_SET_VALUES 8      /* per "in (...)" / "notin (...)" */
#define K8S_SELECTOR_LEN 1024     /* selector text */
#define K8S_MAX_MEMBERS ADAPTER_MAX_PEERS
#define K8S_MAX_LIST_BYTES (16u << 20) /* one PodList page */
#define K8S_MAX_EVENT_BYTES (1u << 20) /* one watch event line */
#define K8S_MAX_OBJECT_BYTES (1u << 20) /* one Pod, Node or Status */
#define K8S_STATUS_TEXT_LEN 256

/* The annotation on our Node that overrides the priority there (DESIGN "Adapter endpoints"). */
#define K8S_PRIORITY_ANNOTATION "keepvip.io/priority"

/* ---- in-cluster access -------------------------------------------------------------------- */

/* The API base URL from KUBERNETES_SERVICE_HOST and _PORT: "https://HOST:PORT", an IPv6
 * literal in brackets ("https://[fd00:10:96::1]:443"; reference §1). port NULL or "" means
 * 443. 0, or -EINVAL when host is empty or holds characters a host cannot, or port is not
 * 1..65535; -ENAMETOOLONG when out is too short. */
int k8s_api_url(const char *host, const char *port, char *out, size_t out_len, char *err,
		size_t err_len);

/* The service-account namespace file's content: trailing newline (and blanks) trimmed, then
 * checked as a namespace name (RFC 1123 label). 0 and out (K8S_NAMESPACE_LEN bytes), or
 * -EINVAL. */
int k8s_parse_namespace(const char *text, size_t len, char *out, char *err, size_t err_len);

/* ---- label selectors (reference §2) ------------------------------------------------------- */

enum k8s_selector_op {
	K8S_OP_EQUALS,     /* k=v, k==v */
	K8S_OP_NOT_EQUALS, /* k!=v: also true when k is absent */
	K8S_OP_IN,         /* k in (a,b) */
	K8S_OP_NOT_IN,     /* k notin (a,b): also true when k is absent */
	K8S_OP_EXISTS,     /* k */
	K8S_OP_NOT_EXISTS, /* !k */
};

struct k8s_requirement {
	char key[K8S_LABEL_KEY_LEN];
	enum k8s_selector_op op;
	char values[K8S_MAX_SET_VALUES][K8S_LABEL_VALUE_LEN];
	size_t n_values;
};

/* Requirements ANDed together; none matches every pod. */
struct k8s_selector {
	struct k8s_requirement reqs[K8S_MAX_REQUIREMENTS];
	size_t n_reqs;
};

/* Parses a label selector as the API server takes it (KEEPVIP_K8S_SELECTOR): requirements
 * separated by commas, keys and values checked as label keys and values. "" gives no
 * requirement. 0, or -EINVAL with err naming the offending part. */
int k8s_selector_parse(const char *text, struct k8s_selector *out, char *err, size_t err_len);

/* ---- our own pod -------------------------------------------------------------------------- */

/* The controller adds these labels to a DaemonSet's (or Deployment's) pods; they change at
 * every rollout, so the default selector leaves them out. */
bool k8s_label_is_controllers(const char *key);

struct k8s_label {
	char key[K8S_LABEL_KEY_LEN];
	char value[K8S_LABEL_VALUE_LEN];
};

struct k8s_own_pod {
	char name[K8S_NAME_LEN];
	struct k8s_label labels[K8S_MAX_LABELS]; /* sorted by key */
	size_t n_labels;
	struct ip_addr addr; /* of the family asked for; family 0 when it has none (yet) */
};

/* GET /api/v1/namespaces/NS/pods/NAME: our own pod's name, labels and address of family
 * (AF_INET or AF_INET6). 0, or -EBADMSG / -E2BIG (more than K8S_MAX_LABELS labels). */
int k8s_parse_own_pod(const char *body, size_t len, sa_family_t family, struct k8s_own_pod *out,
		      char *err, size_t err_len);

/* The default selector: our pod's labels less the controller's, "k1=v1,k2=v2" in key order.
 * 0, -ENOENT when no label is left (the operator must set KEEPVIP_K8S_SELECTOR), or
 * -ENAMETOOLONG when it does not fit in out_len (at most K8S_SELECTOR_LEN). */
int k8s_default_selector(const struct k8s_own_pod *own, char *out, size_t out_len, char *err,
			 size_t err_len);

/* ---- which pods are peers ----------------------------------------------------------------- */

struct k8s_filter {
	struct k8s_selector selector;
	sa_family_t family; /* the VIP's: AF_INET or AF_INET6 */
};

/* Why a pod is, or is not, a member (a log line or a test can say which). */
enum k8s_pod_verdict {
	K8S_MEMBER,
	K8S_NOT_SELECTED,  /* its labels do not match the selector */
	K8S_TERMINATING,   /* metadata.deletionTimestamp is set */
	K8S_FINISHED,      /* status.phase Failed or Succeeded (evicted, completed) */
	K8S_NO_ADDRESS,    /* no address of the VIP's family yet (pending, or single-stack) */
};

const char *k8s_verdict_name(enum k8s_pod_verdict v);

/* One pod as the pod set needs it. */
struct k8s_pod_info {
	char name[K8S_NAME_LEN];
	enum k8s_pod_verdict verdict;
	struct ip_addr addr; /* set when verdict is K8S_MEMBER */
};

struct k8s_member {
	char name[K8S_NAME_LEN];
	struct ip_addr addr;
};

/* The member pods keyed by name, and the last resourceVersion seen (list, event or bookmark),
 * from which a closed watch resumes. About 70 kB: the caller allocates it. */
struct k8s_pod_set {
	struct k8s_member members[K8S_MAX_MEMBERS];
	size_t n_members;
	char resource_version[K8S_RV_LEN];
};

void k8s_pod_set_clear(struct k8s_pod_set *set);

/* The member named name, or NULL. */
const struct k8s_member *k8s_pod_set_find(const struct k8s_pod_set *set, const char *name);

/* Puts pod in the set (a member: added or its address updated) or takes it out (any other
 * verdict). 1 when the set changed, 0 when not, -E2BIG when the set is full. */
int k8s_pod_set_update(struct k8s_pod_set *set, const struct k8s_pod_info *pod, char *err,
		       size_t err_len);

/* The discovery the adapter reports: self = the member named self_name (has_self false when
 * our pod is not a member), peers = the other members' addresses, without self's address
 * and without duplicates, in address order. Leaves out->overrides alone. */
void k8s_pod_set_discovery(const struct k8s_pod_set *set, const char *self_name,
			   struct adapter_discovery *out);

/* ---- list ---------------------------------------------------------------------------------- */

struct k8s_list_page {
	char resource_version[K8S_RV_LEN]; /* metadata.resourceVersion: watch from it */
	char continue_token[K8S_CONTINUE_LEN]; /* metadata.continue: "" on the last page */
};

/* One page of GET /api/v1/namespaces/NS/pods?labelSelector=...&limit=N[&continue=...]:
 * adds the members among its items to set (a scratch set the caller cleared before the first
 * page and swaps in after the last one, so that a failed relist changes nothing that runs)
 * and sets set->resource_version. 0, or -EBADMSG / -E2BIG / -EMSGSIZE. */
int k8s_parse_pod_list(const char *body, size_t len, const struct k8s_filter *filter,
		       struct k8s_pod_set *set, struct k8s_list_page *page, char *err,
		       size_t err_len);

/* ---- watch --------------------------------------------------------------------------------- */

enum k8s_event_type {
	K8S_EVENT_ADDED,
	K8S_EVENT_MODIFIED,
	K8S_EVENT_DELETED,
	K8S_EVENT_BOOKMARK,
	K8S_EVENT_ERROR,
};

/* A Status object (error bodies, ERROR events). */
struct k8s_status {
	int code;                               /* HTTP-like code; 0 when absent */
	char reason[64];                        /* "Expired", "Forbidden", ... */
	char message[K8S_STATUS_TEXT_LEN];      /* cut to fit: it is only logged */
};

struct k8s_pod_event {
	enum k8s_event_type type;
	char resource_version[K8S_RV_LEN]; /* the object's (pod or bookmark); "" for ERROR */
	struct k8s_pod_info pod;           /* ADDED, MODIFIED, DELETED */
	struct k8s_status status;          /* ERROR */
};

/* One line of a pod watch stream: {"type": ..., "object": ...}. 0, or -EBADMSG. */
int k8s_parse_pod_event(const char *line, size_t len, const struct k8s_filter *filter,
			struct k8s_pod_event *ev, char *err, size_t err_len);

/* Applies an event to the set: ADDED / MODIFIED put the pod in or take it out by its
 * verdict, DELETED takes it out, BOOKMARK only moves the resourceVersion. 1 when the members
 * changed, 0 when not, -E2BIG, or -ESTALE for an ERROR event whose code is 410 (the caller
 * relists) and -EPROTO for another ERROR (the caller re-watches after a backoff); err says
 * the Status's message either way. */
int k8s_pod_set_apply(struct k8s_pod_set *set, const struct k8s_pod_event *ev, char *err,
		      size_t err_len);

/* Splits a watch stream into lines whatever its chunks: the server writes one JSON object
 * per line, but a chunk may end mid-line or hold several lines (reference §3). */
struct k8s_line_buffer {
	char *buf;
	size_t len, cap;
	size_t max; /* longest line accepted, K8S_MAX_EVENT_BYTES by default */
};

typedef int (*k8s_line_fn)(void *arg, const char *line, size_t len);

void k8s_lines_init(struct k8s_line_buffer *lb, size_t max);
/* Feeds data; calls fn for each whole non-blank line (without its "\n" or "\r\n"), stopping
 * at the first negative return, which feed returns. 0, or -EMSGSIZE (a line longer than
 * max: the stream is not trusted further), -ENOMEM, or fn's error. */
int k8s_lines_feed(struct k8s_line_buffer *lb, const char *data, size_t n, k8s_line_fn fn,
		   void *arg, char *err, size_t err_len);
/* End of the stream: 0, or -EBADMSG when it stopped mid-line (a truncated event). Empties
 * the buffer either way. */
int k8s_lines_finish(struct k8s_line_buffer *lb, char *err, size_t err_len);
void k8s_lines_free(struct k8s_line_buffer *lb);

/* ---- node and status ----------------------------------------------------------------------- */

/* A Node object (GET /api/v1/nodes/NAME): its annotation keepvip.io/priority, a decimal
 * 1..254. 0 and *priority (0 when there is no such annotation: the env's priority applies),
 * or -EBADMSG when the body is not a Node or the annotation is anything else, err saying
 * what it holds. */
int k8s_parse_node_priority(const char *body, size_t len, int *priority, char *err,
			    size_t err_len);

struct k8s_node_event {
	enum k8s_event_type type;
	char resource_version[K8S_RV_LEN];
	int priority;              /* ADDED, MODIFIED: as k8s_parse_node_priority; DELETED: 0 */
	struct k8s_status status;  /* ERROR */
};

/* One line of a watch on our Node (fieldSelector=metadata.name=NODE). 0, or -EBADMSG (the
 * annotation's value included). */
int k8s_parse_node_event(const char *line, size_t len, struct k8s_node_event *ev, char *err,
			 size_t err_len);

/* An error body (Status, reference §3): 0 and *out, or -EBADMSG when it is not one. */
int k8s_parse_status(const char *body, size_t len, struct k8s_status *out, char *err,
		     size_t err_len);

#endif
