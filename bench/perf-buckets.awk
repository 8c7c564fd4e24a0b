# perf-buckets.awk: sort the samples of `perf script -F comm,ip,sym,dso` (recorded with -g) into where the time went:
# user time by shared object, kernel time by the system call (or fault) that led to it. Prints percent and bucket.
#   perf script -i perf.data --comm sindri-build -F comm,ip,sym,dso | awk -f bench/perf-buckets.awk
# A kernel sample whose user-side stack is in the dynamic loader counts as loading, whatever the syscall: that is the
# price of the shared libraries, paid on every run.

# kernel_bucket: the first frame that names a known kernel path decides.
function kernel_bucket(  i, f) {
	for (i = 1; i <= nf; i++)
		if (dso[i] ~ /ld-linux/)
			return "kernel, for the dynamic loader (mmap, faults, open of libraries)"
	for (i = 1; i <= nf; i++) {
		f = frame[i]
		if (f ~ /iterate_dir|ext4_readdir|getdents/) return "kernel: getdents64 (reading directories)"
		if (f ~ /do_sys_openat2|path_openat|do_filp_open/) return "kernel: openat"
		if (f ~ /__fput|ext4_release_dir|ext4_release_file|__x64_sys_close|close_fd/) return "kernel: close"
		if (f ~ /vfs_statx|vfs_fstatat|vfs_getattr|vfs_fstat|cp_new_stat|do_statx|filename_lookup/) return "kernel: stat"
		if (f ~ /do_fcntl/) return "kernel: fcntl"
		if (f ~ /do_truncate|do_ftruncate/) return "kernel: ftruncate"
		if (f ~ /ksys_read|vfs_read/) return "kernel: read"
		if (f ~ /ksys_write|vfs_write|ksys_pwrite/) return "kernel: write"
		if (f ~ /fsync|fdatasync/) return "kernel: fsync"
		if (f ~ /exc_page_fault|do_user_addr_fault|handle_mm_fault/) return "kernel: page faults"
		if (f ~ /execve|load_elf_binary|begin_new_exec|bprm/) return "kernel: exec"
		if (f ~ /do_exit|exit_mmap|do_group_exit/) return "kernel: exit"
		if (f ~ /mmap|munmap|mprotect|brk/) return "kernel: mmap/brk"
	}
	return "kernel: other"
}

function flush(  b) {
	if (!nf)
		return
	b = kernel ? kernel_bucket() : "user: " dso[1]
	count[b]++
	total++
	nf = 0
}

# A sample header (comm) starts at column 0; its frames follow, indented: "addr sym (dso)".
/^[^ \t]/ { flush(); next }
/^[ \t]+[0-9a-f]+ / {
	d = $NF
	gsub(/^\(|\)$/, "", d)
	sub(/.*\//, "", d)
	frame[++nf] = $2
	dso[nf] = d
	if (nf == 1)
		kernel = (d ~ /kernel/)
	next
}
/^[ \t]*$/ { flush() }
END {
	flush()
	if (!total) {
		print "no samples"
		exit
	}
	for (b in count)
		if (100 * count[b] / total >= 0.5)
			printf "%6.1f%%  %s\n", 100 * count[b] / total, b | "sort -rn"
	close("sort -rn")
	printf "(%d samples; buckets under 0.5%% not shown)\n", total
}
