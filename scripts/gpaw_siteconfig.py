# GPAW build configuration (read by GPAW's setup.py through GPAW_CONFIG; see the Makefile).
# Serial C++ build against Debian's libxc, OpenBLAS and FFTW3
# (apt-get install libxc-dev libopenblas-dev libfftw3-dev).
# flake8: noqa  (executed inside GPAW's setup.py, which defines `libraries`)
compiler = 'g++'
mpi = False
fftw = True
libraries += ['fftw3', 'openblas']
