#!/bin/bash
# The shell the seed scripts are written in: set -v echoes each line as
# bash reads it, set -x traces expanded commands, variables, loops,
# conditionals, here-documents into a pipe, grep, && and ||.
set -v
NS=demo
ip netns add $NS
# a comment line
for dev in v0 v1; do
  ip -n $NS link add $dev type veth peer name $dev-p
done
if ip -n $NS link show v0 > /dev/null; then
  echo "v0 exists"
else
  echo "no v0"
fi
set +v
set -x
ip -n "$NS" link set v0 up && echo "up ok" || echo "up failed"
ip -n $NS link set nosuch up 2>/dev/null || echo "nosuch failed: $?"
set +x
cat <<EOF | grep -c veth
line with veth in $NS
another line
veth again
EOF
ip -n $NS -br link | grep -E '^v[01] ' | grep -v DOWN
echo "last status: $?"
ip -n $NS -o link show | grep -c 'v[01]-p'
