#!/usr/bin/perl
# A small HTTP/1.1 agent for the long benign recording: every cycle it makes one request (one TCP connection,
# Connection: close) per target, then sleeps. The scenarios run it under many executable names and paths.
#
#   agent.pl INTERVAL_MS JITTER_PCT CYCLES[/SECONDS] TARGET...
#   TARGET = METHOD,BODY_BYTES,HOST:PORT/PATH   (BODY_BYTES may be a range MIN-MAX)
#
# A negative JITTER_PCT makes the sleeps exponential with mean INTERVAL_MS (random arrivals, as user-driven or
# event-driven traffic is); otherwise they are INTERVAL_MS +- JITTER_PCT %. With /SECONDS it also stops before a
# sleep that would end past that many seconds from its start.
use strict;
use warnings;
use IO::Socket::INET;
use Time::HiRes qw(usleep time);

my ($interval_ms, $jitter_pct, $cycles_arg, @targets) = @ARGV;
die "usage: agent.pl INTERVAL_MS JITTER_PCT CYCLES METHOD,BODY_BYTES,HOST:PORT/PATH...\n" unless @targets;
$| = 1;
my ($cycles, $budget_s) = split m{/}, $cycles_arg;
my $started = time();

sub request {
  my ($spec) = @_;
  my ($method, $bytes, $url) = split /,/, $spec, 3;
  my ($host, $port, $path) = $url =~ m{^([^:/]+):(\d+)(/.*)$} or die "bad target $spec\n";
  my ($min, $max) = split /-/, $bytes;
  $max //= $min;
  my $size = $min + int(rand($max - $min + 1));
  my $sock = IO::Socket::INET->new(PeerAddr => $host, PeerPort => $port, Proto => 'tcp', Timeout => 3);
  return print "fail $url $!\n" unless $sock;
  my $body = 'x' x $size;
  my $req = "$method $path HTTP/1.1\r\nHost: $host\r\nUser-Agent: agent/1\r\nConnection: close\r\n";
  $req .= "Content-Type: application/json\r\nContent-Length: $size\r\n" if $method ne 'GET';
  print $sock "$req\r\n$body";
  my $received = 0;
  while (my $n = sysread($sock, my $buf, 65536)) { $received += $n; }
  close($sock);
  print "ok $url $received\n";
}

for my $i (1 .. $cycles) {
  request($_) for @targets;
  last if $i == $cycles;
  my $sleep_ms = $jitter_pct < 0
    ? -$interval_ms * log(1 - rand())
    : $interval_ms + $interval_ms * $jitter_pct / 100 * (2 * rand() - 1);
  last if defined $budget_s && time() - $started + $sleep_ms / 1000 > $budget_s;
  usleep(int($sleep_ms * 1000));
}
