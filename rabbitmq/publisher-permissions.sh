#!/bin/sh
# The RabbitMQ permissions of a bus publisher (a service that sends SubmitReportQuery), one per line: configure,
# write, read, as rabbitmqctl set_permissions takes them. The publisher may declare, bind and read only entities
# named "<user>-..." (its reply endpoints), and write to the query exchange besides; it cannot declare, delete or
# bind to that exchange, nor read, bind or touch anything of the workers'. users.sh applies them; the tests prove
# them against a real broker.
set -eu
user=$1
case $user in *[!A-Za-z0-9_-]*|'') echo "publisher names are letters, digits, - and _: $user" >&2; exit 2 ;; esac
printf '%s\n' "^$user-.*\$" "^(Cybex\\.Report\\.Contracts:SubmitReportQuery|$user-.*)\$" "^$user-.*\$"
