/**
 * The bpftrace program of the `ebpf` receiver. Three kinds of lines on standard output:
 *
 * - the tcplife CSV of egressguard's own tracer (header `START_UNIX,PID,COMM,LADDR,LPORT,RADDR,RPORT,TX_B,RX_B,MS,EST`,
 *   one row per closed TCP connection this host opened), read by normalize's tcplife parser;
 * - `EXEC\t<unix s.µs>\t<pid>\t<ppid>\t<uid>\t<filename>` at each successful exec;
 * - `EXIT\t<unix s.µs>\t<pid>` when a process (its main thread) exits.
 *
 * Connections use the `sock:inet_sock_set_state` tracepoint (the kprobe on `tcp_set_state` is not traceable on
 * every kernel): SYN_SENT runs in the connecting process's context, so pid and comm are taken there; at TCP_CLOSE the
 * kernel's `tcp_sock` still holds `bytes_acked` and `bytes_received`, exact per connection.
 */
export const EBPF_PROGRAM = `
BEGIN
{
  printf("START_UNIX,PID,COMM,LADDR,LPORT,RADDR,RPORT,TX_B,RX_B,MS,EST\\n");
}

tracepoint:sock:inet_sock_set_state
/args->protocol == 6/
{
  $sk = args->skaddr;
  if (args->newstate == 2) {
    @birth[$sk] = nsecs;
    @pid[$sk] = pid;
    @comm[$sk] = comm;
  }
  if (args->newstate == 1 && @birth[$sk]) {
    @est[$sk] = 1;
  }
  if (args->newstate == 7 && @birth[$sk]) {
    $tp = (struct tcp_sock *)$sk;
    $ms = (nsecs - @birth[$sk]) / 1000000;
    if (args->family == 2) {
      printf("%s,%d,%s,%s,%d,%s,%d,%llu,%llu,%llu,%d\\n", strftime("%s.%f", @birth[$sk]), @pid[$sk], @comm[$sk],
        ntop(args->saddr), args->sport, ntop(args->daddr), args->dport, $tp->bytes_acked, $tp->bytes_received, $ms,
        @est[$sk]);
    } else {
      printf("%s,%d,%s,%s,%d,%s,%d,%llu,%llu,%llu,%d\\n", strftime("%s.%f", @birth[$sk]), @pid[$sk], @comm[$sk],
        ntop(args->saddr_v6), args->sport, ntop(args->daddr_v6), args->dport, $tp->bytes_acked, $tp->bytes_received,
        $ms, @est[$sk]);
    }
    delete(@birth[$sk]);
    delete(@pid[$sk]);
    delete(@comm[$sk]);
    delete(@est[$sk]);
  }
}

tracepoint:sched:sched_process_exec
{
  printf("EXEC\\t%s\\t%d\\t%d\\t%d\\t%s\\n", strftime("%s.%f", nsecs), pid, curtask->real_parent->tgid, uid,
    str(args->filename));
}

tracepoint:sched:sched_process_exit
/pid == tid/
{
  printf("EXIT\\t%s\\t%d\\n", strftime("%s.%f", nsecs), pid);
}

END
{
  clear(@birth);
  clear(@pid);
  clear(@comm);
  clear(@est);
}
`;

/** The first line the program prints once its probes are attached. */
export const EBPF_HEADER = 'START_UNIX,PID,COMM,LADDR,LPORT,RADDR,RPORT,TX_B,RX_B,MS,EST';
