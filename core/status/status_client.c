/* status_client.c — `keepvip status`: GET /status with libcurl easy, then a summary made
 * for people (the JSON itself is for machines: curl http://127.0.0.1:9650/status). */
#include "status_client.h"

#include "status_server.h"

#include <curl/curl.h>
#include <errno.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#define BODY_MAX ((size_t)8 << 20)
#define ERR_LEN 1024
#define HOST_LEN 256
#define URL_LEN 320
#define TEXT_LEN 640  /* a check label (URL, command) or an error, for one line */

/* ---- reading the document ---- */

static const char *text_of(const json_t *obj, const char *key)
{
	const char *s = json_string_value(json_object_get(obj, key));
	return s != NULL ? s : "";
}

/* Text for a terminal: control characters (a line feed in a name, an escape sequence in an
 * error) become '?', so one instance stays one line. Returns buf. */
static const char *clean(const char *s, char *buf, size_t len)
{
	size_t i = 0;

	for (; s[i] != '\0' && i + 1 < len; i++)
		buf[i] = (unsigned char)s[i] < 0x20 || s[i] == 0x7f ? '?' : s[i];
	buf[i] = '\0';
	return buf;
}

static long long int_of(const json_t *obj, const char *key)
{
	return json_integer_value(json_object_get(obj, key));
}

const char *status_duration_str(long long ms, char *buf, size_t len)
{
	long long s = ms > 0 ? ms / 1000 : 0;

	if (s < 60)
		snprintf(buf, len, "%llds", s);
	else if (s < 3600)
		snprintf(buf, len, "%lldm%llds", s / 60, s % 60);
	else if (s < 86400)
		snprintf(buf, len, "%lldh%lldm", s / 3600, s % 3600 / 60);
	else
		snprintf(buf, len, "%lldd%lldh", s / 86400, s % 86400 / 3600);
	return buf;
}

static void print_header(const json_t *root, FILE *out)
{
	const json_t *adapter = json_object_get(root, "adapter");
	char up[32], version[TEXT_LEN], name[TEXT_LEN];

	fprintf(out, "keepvip %s  up %s  %s  adapter %s (%lld updates, %lld errors)\n",
		clean(text_of(root, "version"), version, sizeof(version)),
		status_duration_str(int_of(root, "uptime_ms"), up, sizeof(up)),
		json_is_true(json_object_get(root, "ready")) ? "ready" : "NOT READY",
		clean(text_of(adapter, "name"), name, sizeof(name)), int_of(adapter, "updates"),
		int_of(adapter, "errors"));
}

static void print_last_change(const json_t *last, FILE *out)
{
	char ago[32], reason[TEXT_LEN];

	if (!json_is_object(last)) {
		fputs("  no change yet", out);
		return;
	}
	fprintf(out, "  last change %s ago: %s",
		status_duration_str(int_of(last, "ago_ms"), ago, sizeof(ago)),
		clean(text_of(last, "reason"), reason, sizeof(reason)));
}

static void print_checks(const json_t *inst, FILE *out)
{
	size_t i;
	const json_t *check;

	json_array_foreach(json_object_get(inst, "checks"), i, check) {
		char label[TEXT_LEN], error[TEXT_LEN];
		clean(text_of(check, "label"), label, sizeof(label));
		clean(text_of(check, "last_error"), error, sizeof(error));
		fprintf(out, "    check %s  %s  runs %lld  failures %lld%s%s\n", label,
			json_is_true(json_object_get(check, "healthy")) ? "healthy" : "UNHEALTHY",
			int_of(check, "runs"), int_of(check, "failures"),
			error[0] != '\0' ? "  last error: " : "", error);
	}
}

static void print_instance(const json_t *inst, int name_width, FILE *out)
{
	const json_t *prio = json_object_get(inst, "priority");
	const char *master = json_string_value(json_object_get(inst, "master"));
	char name[TEXT_LEN], state[TEXT_LEN], master_text[TEXT_LEN];

	fprintf(out, "%-*s  %-6s  prio %lld/%lld  master %s  peers %zu", name_width,
		clean(text_of(inst, "name"), name, sizeof(name)),
		clean(text_of(inst, "state"), state, sizeof(state)), int_of(prio, "effective"),
		int_of(prio, "configured"),
		master != NULL ? clean(master, master_text, sizeof(master_text)) : "-",
		json_array_size(json_object_get(inst, "peers")));
	print_last_change(json_object_get(inst, "last_transition"), out);
	fputc('\n', out);
	if (json_is_true(json_object_get(inst, "link_down")))
		fputs("    interface down\n", out);
	print_checks(inst, out);
}

int status_summary_print(const char *json_text, FILE *out, char *err, size_t err_len)
{
	json_error_t jerr;
	json_t *root = json_loads(json_text, 0, &jerr);
	const json_t *instances = json_object_get(root, "instances");
	const json_t *inst;
	size_t i;
	int width = 0;

	if (!json_is_object(root) || !json_is_array(instances)) {
		snprintf(err, err_len, "not a keepvip status document%s%s",
			 root == NULL ? ": " : "", root == NULL ? jerr.text : "");
		json_decref(root);
		return -EINVAL;
	}
	json_array_foreach(instances, i, inst) {
		int n = (int)strlen(text_of(inst, "name"));
		width = n > width ? n : width;
	}
	print_header(root, out);
	json_array_foreach(instances, i, inst)
		print_instance(inst, width, out);
	json_decref(root);
	return 0;
}

/* ---- fetching it ---- */

/* The URL to ask: a wildcard listen address is reached on loopback. */
static int status_url(const char *addr, char *url, size_t len)
{
	char host[HOST_LEN];
	uint16_t port;

	if (status_addr_split(addr, host, sizeof(host), &port) < 0)
		return -EINVAL;
	if (host[0] == '\0' || strcmp(host, "0.0.0.0") == 0)
		snprintf(host, sizeof(host), "127.0.0.1");
	else if (strcmp(host, "::") == 0)
		snprintf(host, sizeof(host), "::1");
	bool v6 = strchr(host, ':') != NULL;
	int n = snprintf(url, len, "http://%s%s%s:%u/status", v6 ? "[" : "", host, v6 ? "]" : "",
			 port);
	return n > 0 && (size_t)n < len ? 0 : -EINVAL;
}

struct body {
	char *data;
	size_t len;
};

static size_t on_body(char *ptr, size_t size, size_t nmemb, void *arg)
{
	struct body *b = arg;
	size_t n = size * nmemb;

	if (n > BODY_MAX - b->len)
		return 0; /* makes curl fail the transfer */
	char *grown = realloc(b->data, b->len + n + 1);
	if (grown == NULL)
		return 0;
	memcpy(grown + b->len, ptr, n);
	b->len += n;
	grown[b->len] = '\0';
	b->data = grown;
	return n;
}

/* GET url into *b; 0, or -EIO with a message in err. */
static int fetch(const char *url, struct body *b, char *err, size_t err_len)
{
	char curl_err[CURL_ERROR_SIZE] = "";
	long code = 0;
	CURL *curl = curl_easy_init();

	if (curl == NULL) {
		snprintf(err, err_len, "curl_easy_init failed");
		return -ENOMEM;
	}
	curl_easy_setopt(curl, CURLOPT_URL, url);
	curl_easy_setopt(curl, CURLOPT_NOPROXY, "*");
	curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, STATUS_CLIENT_TIMEOUT_MS);
	curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, curl_err);
	curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(curl, CURLOPT_WRITEDATA, b);
	CURLcode rc = curl_easy_perform(curl);
	curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &code);
	curl_easy_cleanup(curl);

	if (rc != CURLE_OK) {
		snprintf(err, err_len, "%s: %s (is the daemon running?)", url,
			 curl_err[0] != '\0' ? curl_err : curl_easy_strerror(rc));
		return -EIO;
	}
	if (code != 200) {
		snprintf(err, err_len, "%s: HTTP %ld", url, code);
		return -EIO;
	}
	if (b->data == NULL) {
		snprintf(err, err_len, "%s: empty answer", url);
		return -EIO;
	}
	return 0;
}

int status_client_run(const char *addr, FILE *out, FILE *errout)
{
	char url[URL_LEN], err[ERR_LEN];
	struct body b = { 0 };
	int rc;

	if (strcmp(addr, "off") == 0) {
		fprintf(errout,
			"keepvip: status: the status server is off (KEEPVIP_STATUS_ADDR)\n");
		return 1;
	}
	if (status_url(addr, url, sizeof(url)) < 0) {
		fprintf(errout, "keepvip: status: \"%s\" is not HOST:PORT\n", addr);
		return 1;
	}
	rc = fetch(url, &b, err, sizeof(err));
	if (rc == 0)
		rc = status_summary_print(b.data, out, err, sizeof(err));
	free(b.data);
	if (rc < 0) {
		fprintf(errout, "keepvip: status: %s\n", err);
		return 1;
	}
	return 0;
}
