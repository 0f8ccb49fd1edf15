import { readFileSync } from 'node:fs';

// /proc counts CPU time in clock ticks, 100 a second on Linux.
const MICROS_PER_TICK = 10_000;

/** CPU time (user + system) process `pid` has used so far, in microseconds (Linux). */
export function processCpuMicros(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // Fields 14 and 15 of the file (utime, stime) are 11 and 12 after the command name.
  return (Number(fields[11]) + Number(fields[12])) * MICROS_PER_TICK;
}

/**
 * CPU time all cores together have spent busy so far (Linux), in microseconds: every process —
 * the servers, the database, the load generator — and the kernel's own work.
 */
export function machineCpuMicros(): number {
  // The first line: "cpu  user nice system idle iowait irq softirq steal …". Time stolen by the
  // hypervisor for other machines is not this machine's work.
  const ticks = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0].trim().split(/\s+/).slice(1, 8).map(Number);
  const [user, nice, system, , , irq, softirq] = ticks;
  return (user + nice + system + irq + softirq) * MICROS_PER_TICK;
}

/**
 * The process id written in `pidFile` (e.g. MariaDB's `pid_file` setting), when that process
 * runs on this machine and its CPU time can be read; otherwise undefined.
 */
export function processIdFromFile(pidFile: string | undefined): number | undefined {
  if (!pidFile) return undefined;
  try {
    const pid = Number(readFileSync(pidFile, 'utf8').trim());
    processCpuMicros(pid);
    return pid;
  } catch {
    return undefined;
  }
}
