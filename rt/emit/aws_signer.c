/* aws_signer.c — see aws_signer.h. Runs on the emitters' threads only. */
#include "emit/aws_signer.h"
#include "base/curl_api.h"

#include <stdio.h>

bool xrc_signer_apply(xrc_signer *s, xrc_http_queue *q, CURL *curl, struct curl_slist **headers)
{
    if (s->have && !xrc_aws_credentials_fresh(&s->cred))
        s->have = false; /* temporary ones about to expire: fetched again, on this thread */
    if (!s->have) {
        char why[1200];
        s->have = xrc_aws_credentials_load(&s->cred, why, sizeof why);
        if (!s->have) {
            xrc_http_fail_log(q, "no AWS credentials to sign with: %s", why);
            return false;
        }
    }
    if (s->cred.token[0]) {
        snprintf(s->token_header, sizeof s->token_header, "X-Amz-Security-Token: %s", s->cred.token);
        *headers = xrc_curl.slist_append(*headers, s->token_header);
    }
    xrc_curl.easy_setopt(curl, CURLOPT_AWS_SIGV4, s->sigv4);
    xrc_curl.easy_setopt(curl, CURLOPT_USERNAME, s->cred.key_id);
    xrc_curl.easy_setopt(curl, CURLOPT_PASSWORD, s->cred.secret);
    return true;
}

void xrc_signer_answered(xrc_signer *s, long status)
{
    if (status == 401 || status == 403)
        s->have = false; /* maybe rotated: read them again for the next request */
}
