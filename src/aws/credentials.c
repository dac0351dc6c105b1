/*
 * credentials.c — the AWS credential, region and endpoint chain (see
 * credentials.h for the order) and the INI reader for ~/.aws/credentials
 * and ~/.aws/config.
 *
 * INI as the AWS CLI reads it: "[section]" lines, "key = value" (or
 * "key: value"), whole-line comments starting with '#' or ';', keys
 * case-insensitive, later keys overriding earlier ones. Also accepted: a
 * UTF-8 byte-order mark, CRLF line ends, and inline comments after white
 * space ("region = eu-west-1  # Ireland"). Indented lines under a key with
 * an empty value are a nested block ("s3 =\n  addressing_style = path")
 * and skipped.
 *
 * Secret values are copied only into the caller's sl_aws_creds; the
 * temporary copies here are wiped with explicit_bzero, and no message
 * carries a value read from a file or a credential variable.
 */
#include "aws/credentials.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/buf.h"
#include "core/mem.h"

#define MAX_INI_SIZE (1 << 20) /* an AWS config file is a few KB; refuse anything absurd */
#define DEFAULT_REGION "us-east-1"

/* ---- profile values from one INI file ---- */

/* The keys we use from a profile section. */
enum { K_ACCESS, K_SECRET, K_TOKEN, K_REGION, K_ENDPOINT, K_COUNT };
static const char *const KEY_NAMES[K_COUNT] = {"aws_access_key_id", "aws_secret_access_key", "aws_session_token",
                                               "region", "endpoint_url"};
static const size_t KEY_MAX[K_COUNT] = {sizeof(((sl_aws_creds *)0)->access_key),
                                        sizeof(((sl_aws_creds *)0)->secret_key),
                                        sizeof(((sl_aws_creds *)0)->session_token),
                                        sizeof(((sl_aws_config *)0)->region), sizeof(((sl_aws_config *)0)->endpoint)};

/* Credential sources we do not implement, reported when nothing else is found. */
static const char *const UNSUPPORTED_KEYS[] = {"credential_process", "role_arn", "sso_session", "sso_start_url",
                                               "web_identity_token_file"};

typedef struct profile_vals {
    char path[4096]; /* file read; "" when unknown (HOME not set) */
    char shown[160]; /* path for messages, "~/..." under HOME */
    bool file_found;
    bool section_found;
    char values[K_COUNT][2048];
    bool has[K_COUNT];
    const char *unsupported; /* first unsupported key seen in the section */
} profile_vals;

static bool is_blank(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

static char *trim(char *s) {
    while (is_blank(*s))
        s++;
    size_t n = strlen(s);
    while (n && is_blank(s[n - 1]))
        s[--n] = '\0';
    return s;
}

/* Does "[section]" (inner text, trimmed) name profile in this kind of file? */
static bool section_is_profile(const char *section, const char *profile, bool config_file) {
    if (!config_file) return strcmp(section, profile) == 0;
    if (strcmp(section, "default") == 0) return strcmp(profile, "default") == 0;
    if (strncmp(section, "profile", 7) != 0 || !is_blank(section[7])) return false;
    const char *name = section + 7;
    while (is_blank(*name))
        name++;
    return strcmp(name, profile) == 0;
}

/* Copy src into dst, cut to fit with "..." at the end when too long. */
static void set_text(char *dst, size_t size, const char *src) {
    size_t len = strlen(src);
    if (len < size) {
        memcpy(dst, src, len + 1);
        return;
    }
    memcpy(dst, src, size - 4);
    memcpy(dst + size - 4, "...", 4);
}

static void shown_path(const char *path, char *out, size_t size) {
    const char *home = getenv("HOME");
    size_t home_len = home ? strlen(home) : 0;
    char tilde[4096];
    if (home_len > 1 && strncmp(path, home, home_len) == 0 && path[home_len] == '/') {
        tilde[0] = '~';
        set_text(tilde + 1, sizeof tilde - 1, path + home_len);
        path = tilde;
    }
    set_text(out, size, path);
}

/* One line of the profile's section: store the key if it is one we use. */
static int ini_key(profile_vals *pv, char *line, int line_no, sl_error *err) {
    char *sep = line + strcspn(line, "=:");
    if (!*sep) return SL_OK; /* not key = value: ignored, as the AWS CLI would fail on it anyway */
    *sep = '\0';
    char *key = trim(line);
    char *value = sep + 1;
    for (char *p = value; *p; p++) /* inline comment: '#' or ';' after white space */
        if ((*p == '#' || *p == ';') && p > value && is_blank(p[-1])) {
            *p = '\0';
            break;
        }
    value = trim(value);
    for (size_t i = 0; i < sizeof UNSUPPORTED_KEYS / sizeof *UNSUPPORTED_KEYS; i++)
        if (strcasecmp(key, UNSUPPORTED_KEYS[i]) == 0 && !pv->unsupported) pv->unsupported = UNSUPPORTED_KEYS[i];
    for (int k = 0; k < K_COUNT; k++) {
        if (strcasecmp(key, KEY_NAMES[k]) != 0) continue;
        size_t len = strlen(value);
        if (len >= KEY_MAX[k])
            return sl_error_set(err, SL_EINVAL, "%s line %d: the value of %s is too long (at most %zu characters)",
                                pv->shown, line_no, KEY_NAMES[k], KEY_MAX[k] - 1);
        memcpy(pv->values[k], value, len + 1);
        pv->has[k] = len > 0;
    }
    return SL_OK;
}

static int ini_parse(profile_vals *pv, char *text, const char *profile, bool config_file, sl_error *err) {
    if (strncmp(text, "\xEF\xBB\xBF", 3) == 0) text += 3;
    bool in_profile = false, nested = false;
    int line_no = 0;
    char *next = NULL;
    for (char *line = text; line; line = next) {
        line_no++;
        char *nl = strchr(line, '\n');
        next = nl ? nl + 1 : NULL;
        if (nl) *nl = '\0';
        bool indented = is_blank(*line);
        char *s = trim(line);
        if (!*s || *s == '#' || *s == ';') continue;
        if (indented && nested) continue;
        nested = false;
        if (*s == '[') {
            char *close = strchr(s, ']');
            if (!close) {
                in_profile = false;
                continue;
            }
            *close = '\0';
            in_profile = section_is_profile(trim(s + 1), profile, config_file);
            pv->section_found |= in_profile;
            continue;
        }
        /* "key =" with nothing after opens a nested block of indented lines. */
        const char *sep = s + strcspn(s, "=:");
        if (*sep) {
            sep++;
            while (is_blank(*sep))
                sep++;
            nested = *sep == '\0';
        }
        if (in_profile) {
            int rc = ini_key(pv, s, line_no, err);
            if (rc) return rc;
        }
    }
    return SL_OK;
}

/* Read profile's section of path into pv (a missing file is not an error). */
static int ini_read(profile_vals *pv, const char *profile, bool config_file, sl_error *err) {
    if (!*pv->path) return SL_OK;
    FILE *f = fopen(pv->path, "rb");
    if (!f) {
        if (errno == ENOENT || errno == ENOTDIR) return SL_OK;
        return sl_error_set(err, SL_EIO, "cannot read %s: %s", pv->shown, strerror(errno));
    }
    pv->file_found = true;
    sl_buf text;
    sl_buf_init(&text, MAX_INI_SIZE);
    char chunk[8192];
    size_t got;
    int rc = SL_OK;
    while ((got = fread(chunk, 1, sizeof chunk, f)) > 0)
        if (sl_buf_add(&text, chunk, got)) {
            rc = sl_error_set(err, SL_EINVAL, "%s is larger than %d bytes; is it really an AWS config file?", pv->shown,
                              MAX_INI_SIZE);
            break;
        }
    if (!rc && ferror(f)) rc = sl_error_set(err, SL_EIO, "cannot read %s: %s", pv->shown, strerror(errno));
    fclose(f);
    if (!rc && text.data) rc = ini_parse(pv, text.data, profile, config_file, err);
    if (text.data) explicit_bzero(text.data, text.cap);
    sl_buf_free(&text);
    return rc;
}

/* pv->path from the variable env_name (a leading "~/" expanded) or
 * ~/.aws/default_name. */
static void locate(profile_vals *pv, const char *env_name, const char *default_name) {
    const char *env = getenv(env_name);
    const char *home = getenv("HOME");
    if (env && *env) {
        if (strncmp(env, "~/", 2) == 0 && home && *home)
            snprintf(pv->path, sizeof pv->path, "%s/%s", home, env + 2);
        else
            snprintf(pv->path, sizeof pv->path, "%s", env);
    } else if (home && *home) {
        snprintf(pv->path, sizeof pv->path, "%s/.aws/%s", home, default_name);
    }
    if (*pv->path)
        shown_path(pv->path, pv->shown, sizeof pv->shown);
    else
        snprintf(pv->shown, sizeof pv->shown, "~/.aws/%s (HOME not set)", default_name);
}

/* ---- the chain ---- */

static const char *nonempty(const char *s) { return s && *s ? s : NULL; }
static const char *env_get(const char *name) { return nonempty(getenv(name)); }

static int copy_value(char *dst, size_t size, const char *value, const char *what, sl_error *err) {
    size_t len = strlen(value);
    if (len >= size) return sl_error_set(err, SL_EINVAL, "%s is too long (at most %zu characters)", what, size - 1);
    memcpy(dst, value, len + 1);
    return SL_OK;
}

/* Fill creds from a key id / secret / token triple found in `where`. A half
 * pair is an error; *found says whether the pair was complete. */
static int take_pair(sl_aws_creds *creds, const char *key_id, const char *secret, const char *token,
                     const char *key_name, const char *secret_name, const char *where, bool *found, sl_error *err) {
    *found = false;
    if (!key_id && !secret) return SL_OK;
    if (!key_id || !secret)
        return sl_error_set(err, SL_EINVAL, "%s sets %s but not %s", where, key_id ? key_name : secret_name,
                            key_id ? secret_name : key_name);
    char what[256];
    snprintf(what, sizeof what, "%s in %s", key_name, where);
    int rc = copy_value(creds->access_key, sizeof creds->access_key, key_id, what, err);
    snprintf(what, sizeof what, "%s in %s", secret_name, where);
    if (!rc) rc = copy_value(creds->secret_key, sizeof creds->secret_key, secret, what, err);
    snprintf(what, sizeof what, "the session token in %s", where);
    if (!rc && token) rc = copy_value(creds->session_token, sizeof creds->session_token, token, what, err);
    *found = rc == SL_OK;
    return rc;
}

static const char *prof_value(const profile_vals *pv, int k) { return pv->has[k] ? pv->values[k] : NULL; }

/* "~/.aws/credentials [x] (no such file)" etc., for the not-found message. */
static void describe_place(sl_buf *b, const profile_vals *pv, const char *profile, bool config_file) {
    if (config_file && strcmp(profile, "default") != 0)
        sl_buf_printf(b, "%s [profile %s]", pv->shown, profile);
    else
        sl_buf_printf(b, "%s [%s]", pv->shown, profile);
    if (!*pv->path)
        return;
    else if (!pv->file_found)
        sl_buf_adds(b, " (no such file)");
    else if (!pv->section_found)
        sl_buf_adds(b, " (no such profile)");
    else if (pv->unsupported)
        sl_buf_printf(b, " (uses %s, which sluice does not support)", pv->unsupported);
    else
        sl_buf_adds(b, " (no aws_access_key_id/aws_secret_access_key)");
}

static int find_creds(const sl_aws_overrides *ov, const char *profile, bool explicit_profile,
                      const profile_vals *cred_file, const profile_vals *conf_file, sl_aws_config *out, sl_error *err) {
    bool found = false;
    int rc = take_pair(&out->creds, ov ? nonempty(ov->access_key) : NULL, ov ? nonempty(ov->secret_key) : NULL, NULL,
                       "access_key", "secret_key", "the job", &found, err);
    if (rc || found) {
        snprintf(out->creds_source, sizeof out->creds_source, "job file");
        return rc;
    }
    if (!explicit_profile) {
        rc = take_pair(&out->creds, env_get("AWS_ACCESS_KEY_ID"), env_get("AWS_SECRET_ACCESS_KEY"),
                       env_get("AWS_SESSION_TOKEN"), "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "the environment",
                       &found, err);
        if (rc || found) {
            snprintf(out->creds_source, sizeof out->creds_source, "environment");
            return rc;
        }
    }
    const profile_vals *files[2] = {cred_file, conf_file};
    for (int i = 0; i < 2; i++) {
        char where[300];
        snprintf(where, sizeof where, "profile %s in %s", profile, files[i]->shown);
        rc = take_pair(&out->creds, prof_value(files[i], K_ACCESS), prof_value(files[i], K_SECRET),
                       prof_value(files[i], K_TOKEN), "aws_access_key_id", "aws_secret_access_key", where, &found, err);
        if (rc || found) {
            set_text(out->creds_source, sizeof out->creds_source, where);
            return rc;
        }
    }
    sl_buf msg;
    sl_buf_init(&msg, 0);
    sl_buf_printf(&msg,
                  "no AWS credentials found for profile '%s'; looked at: the job's access_key/secret_key (not set), ",
                  profile);
    if (explicit_profile)
        sl_buf_adds(&msg, "the environment (skipped: the job names a profile), ");
    else
        sl_buf_adds(&msg, "the environment (AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY not set), ");
    describe_place(&msg, cred_file, profile, false);
    sl_buf_adds(&msg, ", ");
    describe_place(&msg, conf_file, profile, true);
    rc = sl_error_set(err, SL_ENOTFOUND, "%s", msg.data);
    sl_buf_free(&msg);
    return rc;
}

static int find_region(const sl_aws_overrides *ov, const profile_vals *conf_file, sl_aws_config *out, sl_error *err) {
    const char *region = ov ? nonempty(ov->region) : NULL;
    const char *what = "the job's region";
    if (!region && (region = env_get("AWS_REGION"))) what = "AWS_REGION";
    if (!region && (region = env_get("AWS_DEFAULT_REGION"))) what = "AWS_DEFAULT_REGION";
    if (!region && (region = prof_value(conf_file, K_REGION))) what = "the profile's region";
    if (!region) region = DEFAULT_REGION;
    /* The region goes into host names and the signing scope. */
    for (const char *p = region; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || *p == '-' ||
              *p == '_' || *p == '.'))
            return sl_error_set(err, SL_EINVAL, "%s is not a valid region name (letters, digits, '-', '_', '.')", what);
    return copy_value(out->region, sizeof out->region, region, what, err);
}

/* Environment suffix for AWS_ENDPOINT_URL_<SERVICE>: the SDKs' service ids. */
static void service_env_name(const char *service, char *out, size_t size) {
    if (strcmp(service, "es") == 0) service = "OPENSEARCH";
    if (strcmp(service, "aoss") == 0) service = "OPENSEARCHSERVERLESS";
    size_t n = (size_t)snprintf(out, size, "AWS_ENDPOINT_URL_%s", service);
    for (size_t i = 17; i < n && i < size; i++) {
        if (out[i] >= 'a' && out[i] <= 'z') out[i] = (char)(out[i] - 'a' + 'A');
        if (out[i] == '-' || out[i] == ' ') out[i] = '_';
    }
}

static int find_endpoint(const char *service, const sl_aws_overrides *ov, const profile_vals *conf_file,
                         sl_aws_config *out, sl_error *err) {
    char var[96];
    service_env_name(service, var, sizeof var);
    const char *endpoint = ov ? nonempty(ov->endpoint) : NULL;
    const char *what = "the job's endpoint";
    const char *ignore = env_get("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS");
    if (!endpoint && !(ignore && strcasecmp(ignore, "true") == 0)) {
        if ((endpoint = env_get(var)))
            what = var;
        else if ((endpoint = env_get("AWS_ENDPOINT_URL")))
            what = "AWS_ENDPOINT_URL";
        else if ((endpoint = prof_value(conf_file, K_ENDPOINT)))
            what = "the profile's endpoint_url";
    }
    if (!endpoint) return SL_OK;
    if (strncasecmp(endpoint, "http://", 7) != 0 && strncasecmp(endpoint, "https://", 8) != 0)
        return sl_error_set(err, SL_EINVAL, "%s must start with http:// or https://", what);
    int rc = copy_value(out->endpoint, sizeof out->endpoint, endpoint, what, err);
    if (rc) return rc;
    size_t n = strlen(out->endpoint);
    while (n > 8 && out->endpoint[n - 1] == '/')
        out->endpoint[--n] = '\0';
    out->path_style = true;
    return SL_OK;
}

int sl_aws_config_load(const char *service, const sl_aws_overrides *ov, sl_aws_config *out, sl_error *err) {
    memset(out, 0, sizeof *out);
    if (!service || !*service) return sl_error_set(err, SL_EINVAL, "AWS configuration: no service named");
    const char *profile = ov ? nonempty(ov->profile) : NULL;
    bool explicit_profile = profile != NULL;
    if (!profile) profile = env_get("AWS_PROFILE");
    if (!profile) profile = "default";

    profile_vals *cred_file = sl_xcalloc(2, sizeof *cred_file);
    profile_vals *conf_file = cred_file + 1;
    locate(cred_file, "AWS_SHARED_CREDENTIALS_FILE", "credentials");
    locate(conf_file, "AWS_CONFIG_FILE", "config");
    int rc = ini_read(cred_file, profile, false, err);
    if (!rc) rc = ini_read(conf_file, profile, true, err);
    if (!rc) rc = find_creds(ov, profile, explicit_profile, cred_file, conf_file, out, err);
    if (!rc) rc = find_region(ov, conf_file, out, err);
    if (!rc) rc = find_endpoint(service, ov, conf_file, out, err);
    explicit_bzero(cred_file, 2 * sizeof *cred_file);
    free(cred_file);
    if (rc) explicit_bzero(out, sizeof *out);
    return rc;
}

void sl_aws_default_endpoint(const char *service, const char *region, char *out, size_t size) {
    if (!region || !*region) region = DEFAULT_REGION;
    const char *suffix = strncmp(region, "cn-", 3) == 0 ? "amazonaws.com.cn" : "amazonaws.com";
    snprintf(out, size, "https://%s.%s.%s", service, region, suffix);
}

void sl_aws_describe(const sl_aws_config *c, char *out, size_t size) {
    const char *key = c->creds.access_key;
    size_t key_len = strlen(key);
    snprintf(out, size, "region %s, endpoint %s%s, credentials from %s, key id ****%s%s", c->region,
             *c->endpoint ? c->endpoint : "AWS default", c->path_style ? " (path-style)" : "",
             *c->creds_source ? c->creds_source : "nowhere", key_len >= 12 ? key + key_len - 4 : "",
             *c->creds.session_token ? " (with session token)" : "");
}
