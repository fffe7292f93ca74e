# Thin wrappers: ./dev does the work (it also runs where make is not installed).
.PHONY: run test spec bench
run:
	./dev run
test:
	./dev test
spec:
	./dev spec
bench:
	./dev bench
