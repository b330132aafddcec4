/* commands.h — the xraycap subcommands; each takes the arguments after the command's name
 * (argv[0] is the name) and returns the process exit status. */
#ifndef XRAYCAP_COMMANDS_H
#define XRAYCAP_COMMANDS_H

/* filling and keeping a store */
int cmd_daemon(int argc, char **argv);
int cmd_import(int argc, char **argv);
int cmd_prune(int argc, char **argv);
int cmd_group(int argc, char **argv);

/* reading it: the console's views */
int cmd_traces(int argc, char **argv);
int cmd_show(int argc, char **argv);
int cmd_map(int argc, char **argv);
int cmd_export(int argc, char **argv);
int cmd_html(int argc, char **argv);
int cmd_serve(int argc, char **argv);

/* running programs as AWS would */
int cmd_run(int argc, char **argv);
int cmd_local_api(int argc, char **argv);

#endif
