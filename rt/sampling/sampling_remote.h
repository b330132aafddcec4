/* sampling_remote.h — centralized sampling rules from the X-Ray service, through the daemon's
 * TCP proxy (POST /GetSamplingRules, /SamplingTargets), polled on a background thread. */
#ifndef XRC_SAMPLING_REMOTE_H
#define XRC_SAMPLING_REMOTE_H

#include <stdbool.h>

struct cJSON;

#define XRC_RULES_INTERVAL_S 300   /* rules poll, plus up to 5 s of jitter */
#define XRC_TARGETS_INTERVAL_S 10  /* statistics and quotas */
#define XRC_RULES_TTL_S 3600       /* rules older than this are not trusted */

#define XRC_RULE_NAME_MAX 65        /* a rule's name (at most 64 characters) and its NUL */

/* Decides with the centralized rules when they are known and fresh: returns true, sets
 * *sampled and copies the matching rule's name into `rule`; false means "no centralized rule
 * applies, use the local rules". Starts the poller on first use. */
bool xrc_remote_decide(const char *service, const char *host, const char *method,
                       const char *path, bool *sampled, char rule[XRC_RULE_NAME_MAX]);

/* One round now, on the calling thread: fetch rules, then report statistics and take quotas.
 * Returns false when the daemon did not answer usefully (tests call this instead of waiting). */
bool xrc_remote_poll_now(void);

/* Takes the rules of a GetSamplingRules answer (malformed and unsupported rules skipped, the
 * quotas of rules still there kept). False when it has no SamplingRuleRecords array. */
bool xrc_remote_take_rules(const struct cJSON *answer);

/* Takes the rates and quotas of a SamplingTargets answer; *refetch says the rules changed
 * after `fetched` (epoch seconds). False when it has no SamplingTargetDocuments array. */
bool xrc_remote_take_targets(const struct cJSON *answer, double fetched, bool *refetch);

/* Stops the poller (xray_recorder_shutdown); the next decision may start it again. */
void xrc_remote_stop(void);

/* In a forked child: the poller thread is gone; forget it and the parent's statistics. */
void xrc_remote_after_fork(void);

/* Forgets all centralized rules (tests, and a change of daemon address). */
void xrc_remote_reset(void);

#endif
