#!/usr/bin/perl
# Debian's Sisimai (libsisimai-perl) over the given files, the way `rebound parse` reads them:
# every file decoded, delivered and vacation results included. Prints one JSON line:
# {"files":N,"results":N,"ms":IN_PROCESS_MS}.
use strict;
use warnings;
use Time::HiRes qw(time);
use Sisimai;
my ($n, $t0) = (0, time);
for my $f (@ARGV) {
    my $v = Sisimai->make($f, 'delivered' => 1, 'vacation' => 1);
    $n += scalar(@{ $v || [] });
}
printf("{\"files\":%d,\"results\":%d,\"ms\":%.1f}\n", scalar(@ARGV), $n, (time - $t0) * 1000);
