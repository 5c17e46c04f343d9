#!/bin/bash
# bash's job numbers in a script: a background job that exited by itself
# keeps its number until `wait` (a new job gets one more than the highest
# left), while one killed by a signal is dropped before the next job is
# numbered. The nc servers on lo: the first exits when its client closes.
ip netns add a
ip -n a link set lo up
ip netns exec a nc -l -p 8000 > /dev/null &
sleep 0.5
echo one | ip netns exec a nc -N 127.0.0.1 8000
echo "client: $?"
ip netns exec a nc -l -p 8001 > /dev/null &
sleep 0.5
ip netns exec a nc -l -p 8002 > /dev/null &
sleep 0.5
kill %3
sleep 0.5
ip netns exec a nc -l -p 8003 > /dev/null &
sleep 0.5
kill %2 %3
wait
echo "done: $?"
