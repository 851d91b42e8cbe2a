# expect_outcome.cmake - run `tcpsim run SCRIPT` and check the exit status and
# the output against the script's "// expect-exit:" and "// expect-output:" lines.
# Usage: cmake -DCLI=path/to/tcpsim -DSCRIPT=file.pkt -P expect_outcome.cmake
# Runs with --strict-end, as the passing scripts do.
file(STRINGS ${SCRIPT} exit_line REGEX "^// expect-exit: ")
file(STRINGS ${SCRIPT} out_lines REGEX "^// expect-output: ")
if(NOT exit_line)
  message(FATAL_ERROR "${SCRIPT}: no '// expect-exit: N' header")
endif()
string(REGEX REPLACE "^// expect-exit: *" "" want_exit "${exit_line}")
execute_process(COMMAND ${CLI} run --strict-end ${SCRIPT} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err
                TIMEOUT 20)
set(all "${out}${err}")
if(NOT rc STREQUAL want_exit)
  message(FATAL_ERROR "${SCRIPT}: exit status ${rc}, expected ${want_exit}\n${all}")
endif()
foreach(l ${out_lines})
  string(REGEX REPLACE "^// expect-output: *" "" re "${l}")
  if(NOT all MATCHES "${re}")
    message(FATAL_ERROR "${SCRIPT}: output does not match '${re}'\n${all}")
  endif()
endforeach()
message(STATUS "${SCRIPT}: exit ${rc} as expected\n${all}")
