/* imagekey: what an image task's key covers (see image.h), computed in docker/imagekey.c. Internal to the image
 * task (docker/image.c). */
#ifndef SB_IMAGEKEY_H
#define SB_IMAGEKEY_H

struct keyenv;
struct keyparts;
struct task;

/* image_add_key: the image task's add_key (task_ops): its key parts added to kp. 0, -1 after an error. */
int image_add_key(struct task *t, struct keyparts *kp, const struct keyenv *ke);
/* image_ahead: the image task's ahead (task_ops): ask the engine now for what its key and check will inspect. */
void image_ahead(struct task *t, const struct keyenv *ke);
/* image_normref: a reference with its implied ":latest", as the engine lists it (malloc'd). */
char *image_normref(const char *ref);
/* image_buildkit_off: DOCKER_BUILDKIT says no, as the docker client reads it (Go's ParseBool). */
int image_buildkit_off(void);

#endif
