"""Reports: what a citizen (or an operator taking a voice call) says happened, where and when."""
