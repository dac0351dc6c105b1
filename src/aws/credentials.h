/*
 * credentials.h — where AWS credentials, region and endpoints come from,
 * the way the AWS SDKs find them (docs/aws.md has the full story):
 *
 *   profile:     the job's `profile`, AWS_PROFILE, else "default";
 *   credentials: the job's access_key + secret_key; AWS_ACCESS_KEY_ID /
 *                AWS_SECRET_ACCESS_KEY / AWS_SESSION_TOKEN (skipped when the
 *                job names a profile); the profile in
 *                AWS_SHARED_CREDENTIALS_FILE (~/.aws/credentials, "[name]");
 *                the same profile in AWS_CONFIG_FILE (~/.aws/config,
 *                "[profile name]", "[default]"). The first complete pair wins;
 *                a half pair (key id without secret or the reverse) is an error;
 *   region:      the job's `region`, AWS_REGION, AWS_DEFAULT_REGION, the
 *                profile's `region` in the config file, else "us-east-1";
 *   endpoint:    the job's `endpoint`, AWS_ENDPOINT_URL_<SERVICE> (S3,
 *                DYNAMODB, OPENSEARCH for "es", OPENSEARCHSERVERLESS for
 *                "aoss"), AWS_ENDPOINT_URL, the profile's `endpoint_url` in the
 *                config file (`services` sections are not supported), else
 *                "" = the public AWS endpoint. AWS_IGNORE_CONFIGURED_ENDPOINT_URLS=true
 *                skips the environment and the profile (not the job).
 * Not supported (an error says so when the profile uses them):
 * credential_process, role_arn/source_profile, SSO, web identity, IMDS.
 * Secrets are never printed: errors name variables, files and keys only, and
 * sl_aws_describe() shows where credentials came from and the access key
 * id's last 4 characters.
 */
#ifndef SL_CREDENTIALS_H
#define SL_CREDENTIALS_H

#include <stdbool.h>
#include <stddef.h>

#include "aws/sigv4.h"
#include "core/error.h"

typedef struct sl_aws_config {
    sl_aws_creds creds;
    char region[64];
    char endpoint[512];     /* "" = AWS public endpoint for the region; no trailing '/' */
    bool path_style;        /* S3 path-style addressing (set for custom endpoints) */
    char creds_source[128]; /* "environment", "profile default in ~/.aws/credentials", … */
} sl_aws_config;

/* Overrides from a job node; any member may be NULL (or ""). */
typedef struct sl_aws_overrides {
    const char *profile;
    const char *region;
    const char *endpoint;
    const char *access_key; /* normally absent: prefer the environment/profile */
    const char *secret_key;
} sl_aws_overrides;

/* Resolve configuration for service ("s3", "dynamodb", "es", "aoss"); ov may
 * be NULL. The environment is read through getenv; HOME locates ~/.aws (and
 * a leading "~/" in the *_FILE variables). Errors (out is then zeroed):
 * SL_ENOTFOUND when no credentials are found, naming every place looked at;
 * SL_EINVAL for a half credential pair, a value too long for its field, an
 * invalid region or an endpoint that is not http(s)://; SL_EIO when a file
 * exists but cannot be read. */
int sl_aws_config_load(const char *service, const sl_aws_overrides *ov, sl_aws_config *out, sl_error *err);

/* Public endpoint URL for a service and region ("https://dynamodb.us-east-1.amazonaws.com";
 * ".amazonaws.com.cn" for cn-* regions; region "" = us-east-1). */
void sl_aws_default_endpoint(const char *service, const char *region, char *out, size_t size);

/* One line for logs: region, endpoint, addressing, credential source, key
 * id as ****ABCD (only "****" for ids shorter than 12 characters). */
void sl_aws_describe(const sl_aws_config *c, char *out, size_t size);

#endif
