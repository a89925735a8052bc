/* The switchyard-worker executable, included byte for byte so that the
   library can start workers from a memory file (worker_pool.cpp). */
    .section .rodata.switchyard_worker_image, "a"
    .balign 64
    .globl switchyard_worker_image
    .hidden switchyard_worker_image
switchyard_worker_image:
    .incbin SWITCHYARD_WORKER_BINARY
    .globl switchyard_worker_image_end
    .hidden switchyard_worker_image_end
switchyard_worker_image_end:
    .section .note.GNU-stack, "", @progbits
